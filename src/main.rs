use clap::Parser;

// Workers allocate each object's evidence and the collector frees it: glibc's
// arenas pay for that hand-over (consolidation, cross-arena frees) at every
// object, mimalloc's thread-local free lists do not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    atrest::run(atrest::cli::Cli::parse())
}
