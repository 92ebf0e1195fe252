use clap::Parser;

fn main() -> std::process::ExitCode {
    atrest::run(atrest::cli::Cli::parse())
}
