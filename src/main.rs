//! The keysweep binary: parse arguments, build the configuration, run the
//! command, map the outcome to an exit code (0 clean, 1 findings, 2 error).

use clap::Parser;
use keysweep::app::{self, EXIT_CLEAN, EXIT_ERROR};
use keysweep::cli::{rules::RulesCommand, Cli, Command};
use keysweep::config::Config;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Scan(args) => Config::scan(args).and_then(|c| app::scan(&c)),
        Command::History(args) => Config::history(args).and_then(|c| app::scan(&c)),
        Command::Staged(args) => Config::staged(args).and_then(|c| app::scan(&c)),
        Command::PrePush(args) => app::pre_push(args),
        Command::PreCommit(args) => app::pre_commit(args),
        Command::Init { path, force } => app::init(path, *force),
        Command::InstallHook {
            repo,
            pre_push,
            force,
        } => app::install_hook(repo, *pre_push, *force),
        Command::Revoke(args) => {
            Config::revoke(args).and_then(|(c, o)| app::revoke(&c, &o, &args.fingerprint, args.yes))
        }
        Command::Report {
            file,
            format: _,
            output,
        } => app::render_report(file, output.as_deref()),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "keysweep", &mut std::io::stdout());
            Ok(EXIT_CLEAN)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map(|()| EXIT_CLEAN)
                .map_err(anyhow::Error::from)
        }
        Command::Rules(r) => match &r.command {
            RulesCommand::List { rules, format } => app::rules_list(rules, *format),
            RulesCommand::Check { files } => app::rules_check(files),
        },
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_CLEAN),
        Err(e) => {
            eprintln!("keysweep: error: {}", one_message(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The error and its causes on one line, each said once: a cause whose
/// text its context already holds is not repeated (`nope.toml: No such
/// file or directory`, not that twice).
fn one_message(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if msg.contains(&cause) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&cause);
    }
    msg
}

/// `keysweep scan | head` closing the pipe early is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
