//! One module per subcommand, each reading as: config → run → output.

mod merge;
mod rules;
mod scan;
mod signals;

use std::process::ExitCode;

use crate::cli::{Cli, Command, RulesCommand};
use crate::exit::Exit;
use crate::output;

/// Runs the command line; every error ends here as one line on stderr.
pub fn run(cli: Cli) -> ExitCode {
    output::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Scan(args) => scan::scan_command(args),
        Command::Rules(RulesCommand::Check { file }) => rules::rules_check(&file),
        Command::Rules(RulesCommand::List { file }) => rules::rules_list(file.as_deref()),
        Command::Rules(RulesCommand::Export) => rules::rules_export(),
        Command::Rules(RulesCommand::Formats) => rules::rules_formats(),
        Command::Merge(args) => merge::merge_command(args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            output::error(&format!("{e:#}"));
            Exit::Usage.into()
        }
    }
}
