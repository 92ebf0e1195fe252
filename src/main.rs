use clap::Parser;

// Objects cross threads (walk → worker → collector) and are freed away from
// where they were allocated, the case mimalloc handles without a lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    atrest::run(atrest::cli::Cli::parse())
}
