//! The `netrun` binary: logging set-up, then the CLI.

use clap::Parser;
use netrun::cli::{Cli, EXIT_FATAL, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.log_level).unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(EXIT_FATAL);
        }
    };
    let code = runtime.block_on(async {
        match cli.execute().await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                EXIT_FATAL
            }
        }
    });
    // Do not wait for lingering device sessions at exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    std::process::exit(code);
}
