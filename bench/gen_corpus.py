#!/usr/bin/env python3
"""Generate a synthetic source tree for benchmarking keysweep.

Deterministic (seeded): ~TARGET_MB of code-like text across many files in
nested directories, with keyword-bearing lines that are NOT secrets (the
prefilter must look at them and the regexes reject them) and a known number
of planted, obviously synthetic keys. Writes PLANTED.txt with the count.

usage: gen_corpus.py DIR [TARGET_MB]
"""
import os
import random
import string
import sys

rng = random.Random(20261126)
ALNUM = string.ascii_letters + string.digits
WORDS = ("let const return self config value client request response handler "
         "user account token_count index buffer result error options module "
         "import export function class struct impl match async await for while "
         "if else parse format print write read open close update delete").split()
NOISE = [
    "    api_key = os.environ.get('API_KEY')\n",
    "    const apiKey = process.env.SERVICE_API_KEY;\n",
    "    headers = {'Authorization': f'Bearer {token}'}\n",
    "    # see https://docs.example.com/authentication for the bearer scheme\n",
    "    password = get_password(user)\n",
    "    url = 'postgres://' + host + '/db'\n",
    "    secret_key = settings.SECRET_KEY\n",
    "    // sk_live_abc123... is only an example\n",
]


def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def planted():
    kinds = [
        lambda: f'STRIPE_KEY = "sk_live_{rand(24)}"\n',
        lambda: f"token: ghp_{rand(36)}\n",
        lambda: f"AWS_ACCESS_KEY_ID=AKIA{rand(16, string.ascii_uppercase + string.digits)}\n",
        lambda: f'  -H "Authorization: Bearer {rand(40)}"\n',
        lambda: f"INFINITYBLUE_API_KEY={rand(40)}\n",
    ]
    return rng.choice(kinds)()


def line():
    r = rng.random()
    if r < 0.02:
        return rng.choice(NOISE)
    n = rng.randint(2, 12)
    return "    " * rng.randint(0, 3) + " ".join(rng.choice(WORDS) for _ in range(n)) + ";\n"


def main():
    out = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    total = 0
    files = 0
    keys = 0
    exts = [".py", ".js", ".rs", ".go", ".yaml", ".md", ".java", ".ts"]
    while total < target * 1024 * 1024:
        d = os.path.join(out, f"pkg{files % 97}", f"mod{files % 13}")
        os.makedirs(d, exist_ok=True)
        size = int(rng.expovariate(1 / 10000)) + 200
        parts = []
        n = 0
        while n < size:
            s = line()
            parts.append(s)
            n += len(s)
        if files % 50 == 0:
            parts.insert(rng.randrange(len(parts) + 1), planted())
            keys += 1
        body = "".join(parts)
        with open(os.path.join(d, f"file{files}{rng.choice(exts)}"), "w") as f:
            f.write(body)
        total += len(body)
        files += 1
    with open(os.path.join(out, "PLANTED.txt"), "w") as f:
        f.write(f"{keys}\n")
    print(f"generated {files} files, {total / 1048576:.1f} MiB, {keys} planted keys in {out}")


if __name__ == "__main__":
    main()
