//! One module per subcommand, each reading as: config → run → output.

mod merge;
mod rules;
mod scan;
mod signals;

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command, RulesCommand};
use crate::exit::Exit;
use crate::output;

/// Runs the command line; every error ends here as one line on stderr
/// (a rules file's problems as one line each).
pub fn run(cli: Cli) -> ExitCode {
    output::set_quiet(cli.quiet);
    output::init_logging(cli.verbose);
    // What pins a report's timestamps is checked before the work that
    // report is of.
    if matches!(cli.command, Command::Scan(_) | Command::Merge(_)) {
        if let Err(e) = crate::pipeline::source_date_epoch() {
            output::error(&format!("{e:#}"));
            return Exit::Usage.into();
        }
    }
    let result = match cli.command {
        Command::Scan(args) => scan::scan_command(args),
        Command::Rules(RulesCommand::Check { file }) => rules::rules_check(&file),
        Command::Rules(RulesCommand::List { file }) => rules::rules_list(file.as_deref()),
        Command::Rules(RulesCommand::Export) => rules::rules_export(),
        Command::Rules(RulesCommand::Formats) => rules::rules_formats(),
        Command::Merge(args) => merge::merge_command(args),
        Command::Completions { shell } => completions(shell),
        Command::Man => manual(),
    };
    match result {
        Ok(exit) => exit.into(),
        // Every problem of a rules file, each on its line.
        Err(e) => {
            match e.downcast_ref::<crate::rules::RuleErrors>() {
                Some(errors) => errors.0.iter().for_each(|e| output::error(&e.to_string())),
                None => output::error(&format!("{e:#}")),
            }
            Exit::Usage.into()
        }
    }
}

fn completions(shell: clap_complete::Shell) -> anyhow::Result<Exit> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "atrest", &mut out);
    output::print(&String::from_utf8_lossy(&out));
    Ok(Exit::Clean)
}

fn manual() -> anyhow::Result<Exit> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    output::print(&String::from_utf8_lossy(&out));
    Ok(Exit::Clean)
}
