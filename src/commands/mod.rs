//! One module per subcommand, each reading as: config → run → output.

mod merge;
mod rules;
mod scan;

use std::io;
use std::process::ExitCode;

use crate::cli::{Cli, Command, RulesCommand};
use crate::exit;

/// Runs the command line; all errors end here as one line on stderr.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Scan(args) => scan::scan_command(args),
        Command::Rules(RulesCommand::Check { file }) => rules::rules_check(&file),
        Command::Rules(RulesCommand::List { file }) => rules::rules_list(file.as_deref()),
        Command::Merge(args) => merge::merge_command(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(exit::CLEAN),
        Err(e) => {
            eprintln!("atrest: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
