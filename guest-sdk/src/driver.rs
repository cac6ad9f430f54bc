//! Driver plugins: platform definitions as data, and parsers.

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/v0.1",
        world: "driver-plugin",
        pub_export_macro: true,
        export_macro_name: "__export_driver",
        default_bindings_module: "netrun_guest::driver::bindings",
        runtime_path: "netrun_guest::__wit_bindgen::rt",
    });
}

pub use bindings::netrun::plugin::platform::{
    Challenge, Definition, Mode, Pager, Secret, Transition,
};

/// Why output could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No parser for this command on this platform.
    UnsupportedCommand(String),
    /// The output does not look like the command's output; say which line or
    /// field did not fit.
    UnexpectedOutput(String),
}

impl From<crate::text::ParseError> for ParseError {
    fn from(e: crate::text::ParseError) -> Self {
        match e {
            crate::text::ParseError::Unsupported(m) => ParseError::UnsupportedCommand(m),
            crate::text::ParseError::Unexpected(m) => ParseError::UnexpectedOutput(m),
        }
    }
}

/// What a driver plugin implements.
pub trait Driver {
    /// The platforms (Netmiko / Scrapli `device_type`s) this driver defines.
    fn platforms() -> Vec<Definition>;
    /// Full commands this driver parses on `platform`.
    fn parsers(platform: &str) -> Vec<String>;
    /// Turn `output` of `command` into structured data.
    fn parse(platform: &str, command: &str, output: &str) -> Result<serde_json::Value, ParseError>;
}

impl Mode {
    /// A mode with its prompt pattern and no transitions yet.
    pub fn new(name: &str, prompt: &str) -> Self {
        Mode {
            name: name.to_string(),
            prompt: prompt.to_string(),
            transitions: Vec::new(),
        }
    }

    /// Add a transition to `to` by sending `send`.
    pub fn to(mut self, to: &str, send: &str) -> Self {
        self.transitions.push(Transition {
            to: to.to_string(),
            send: send.to_string(),
            challenge: None,
        });
        self
    }

    /// Add a transition that may ask for a secret (`enable` → `Password:`).
    pub fn to_with_secret(mut self, to: &str, send: &str, prompt: &str, answer: Secret) -> Self {
        self.transitions.push(Transition {
            to: to.to_string(),
            send: send.to_string(),
            challenge: Some(Challenge {
                prompt: prompt.to_string(),
                answer,
            }),
        });
        self
    }
}

impl Pager {
    /// A pager prompt and the keystrokes that continue the output.
    pub fn new(pattern: &str, keys: &str) -> Self {
        Pager {
            pattern: pattern.to_string(),
            keys: keys.to_string(),
        }
    }
}

#[doc(hidden)]
pub fn __to_wit_error(e: ParseError) -> bindings::exports::netrun::plugin::driver::ParseError {
    use bindings::exports::netrun::plugin::driver::ParseError as W;
    match e {
        ParseError::UnsupportedCommand(m) => W::UnsupportedCommand(m),
        ParseError::UnexpectedOutput(m) => W::UnexpectedOutput(m),
    }
}

/// Register the type that implements [`Driver`] as this component's driver.
#[macro_export]
macro_rules! register_driver {
    ($driver:ty) => {
        #[doc(hidden)]
        pub struct __NetrunDriverExport;

        impl $crate::driver::bindings::exports::netrun::plugin::driver::Guest
            for __NetrunDriverExport
        {
            fn platforms() -> ::std::vec::Vec<$crate::driver::Definition> {
                <$driver as $crate::driver::Driver>::platforms()
            }

            fn parsers(platform: ::std::string::String) -> ::std::vec::Vec<::std::string::String> {
                <$driver as $crate::driver::Driver>::parsers(&platform)
            }

            fn parse(
                platform: ::std::string::String,
                command: ::std::string::String,
                output: ::std::string::String,
            ) -> ::std::result::Result<
                ::std::string::String,
                $crate::driver::bindings::exports::netrun::plugin::driver::ParseError,
            > {
                <$driver as $crate::driver::Driver>::parse(&platform, &command, &output)
                    .map(|value| value.to_string())
                    .map_err($crate::driver::__to_wit_error)
            }
        }

        // Exported only in the component: a native build (tests of the
        // plugin's Rust code) must not export names with `:`, which
        // linkers reject in a shared object's symbol list.
        #[cfg(target_arch = "wasm32")]
        $crate::driver::bindings::__export_driver!(__NetrunDriverExport);
    };
}
