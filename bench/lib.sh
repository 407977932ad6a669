# Shared by the bench scripts (sourced, from the project root).

# gen_history DIR ARGS...: a repository made by `bench/gen_history.py ARGS`
# with `git fast-import`, once; repacked the way a server would (newest
# versions as delta bases, not fast-import's oldest-first chains).
gen_history() {
  local dir=$1; shift
  if [ ! -d "$dir/.git" ]; then
    rm -rf "$dir"; git init -q -b main "$dir"
    python3 bench/gen_history.py "$@" | git -C "$dir" fast-import --quiet
    git -C "$dir" reset -q --hard main
    git -C "$dir" repack -q -a -d -f --depth=50 --window=10
  fi
}
