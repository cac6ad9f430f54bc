//! `show ip interface brief`.
//!
//! Output: a JSON array with one object per interface, in device order:
//!
//! ```json
//! [{"interface": "GigabitEthernet0/0", "ip_address": "10.0.0.1",
//!   "status": "up", "proto": "up"},
//!  {"interface": "Vlan1", "ip_address": "unassigned",
//!   "status": "administratively down", "proto": "down"}]
//! ```
//!
//! Rows are split on blanks rather than on the header's columns: IOS widens
//! the `Interface` column for long names on some releases and simply pushes
//! the rest of the row to the right on others. The `OK?` and `Method`
//! columns are checked but not returned (as in ntc-templates). A header with
//! no rows gives an empty array.

use serde_json::{Value, json};

use super::{ParseError, excerpt, lines};

const COMMAND: &str = "show ip interface brief";
const HEADER: [&str; 6] = [
    "Interface",
    "IP-Address",
    "OK?",
    "Method",
    "Status",
    "Protocol",
];

pub(super) fn parse(output: &str) -> Result<Value, ParseError> {
    let mut header_seen = false;
    let mut rows = Vec::new();
    for line in lines(output) {
        if line.trim().is_empty() {
            continue;
        }
        if header_seen {
            rows.push(parse_row(line)?);
        } else if line.split_whitespace().eq(HEADER) {
            header_seen = true;
        } else {
            return Err(ParseError::Unexpected(format!(
                "{COMMAND}: expected the header \"Interface IP-Address OK? Method Status \
                 Protocol\", got {:?}",
                excerpt(line)
            )));
        }
    }
    if !header_seen {
        return Err(ParseError::Unexpected(format!(
            "{COMMAND}: expected the header \"Interface IP-Address OK? Method Status Protocol\", \
             got empty output"
        )));
    }
    Ok(Value::Array(rows))
}

fn parse_row(line: &str) -> Result<Value, ParseError> {
    let bad = |why: &str| {
        ParseError::Unexpected(format!(
            "{COMMAND}: expected a row \"<interface> <ip-address> <ok?> <method> <status> \
             <protocol>\" ({why}), got {:?}",
            excerpt(line)
        ))
    };
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let [interface, ip_address, ok, _method, rest @ ..] = tokens.as_slice() else {
        return Err(bad("too few columns"));
    };
    if !is_ip_column(ip_address) {
        return Err(bad(
            "IP-Address is neither an IPv4 address nor \"unassigned\"",
        ));
    }
    if !matches!(*ok, "YES" | "NO") {
        return Err(bad("OK? is neither YES nor NO"));
    }
    // Status is one word except "administratively down"; Protocol is the rest.
    let (status, proto) = match rest {
        ["administratively", "down", proto @ ..] => ("administratively down".to_string(), proto),
        [status, proto @ ..] => (status.to_string(), proto),
        [] => return Err(bad("no Status column")),
    };
    if proto.is_empty() {
        return Err(bad("no Protocol column"));
    }
    Ok(json!({
        "interface": interface,
        "ip_address": ip_address,
        "status": status,
        "proto": proto.join(" "),
    }))
}

fn is_ip_column(text: &str) -> bool {
    text == "unassigned" || text.parse::<std::net::Ipv4Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::super::parse as parse_command;
    use super::*;

    const SAMPLE: &str = "\
Interface              IP-Address      OK? Method Status                Protocol
GigabitEthernet0/0     192.0.2.1       YES NVRAM  up                    up      
GigabitEthernet0/1     unassigned      YES NVRAM  administratively down down    
FortyGigabitEthernet1/1/1 unassigned      YES unset  down                  down    
";

    #[test]
    fn parses_rows() {
        let parsed = parse(SAMPLE).unwrap();
        assert_eq!(
            parsed,
            json!([
                {"interface": "GigabitEthernet0/0", "ip_address": "192.0.2.1",
                 "status": "up", "proto": "up"},
                {"interface": "GigabitEthernet0/1", "ip_address": "unassigned",
                 "status": "administratively down", "proto": "down"},
                {"interface": "FortyGigabitEthernet1/1/1", "ip_address": "unassigned",
                 "status": "down", "proto": "down"},
            ])
        );
    }

    #[test]
    fn abbreviations_reach_this_parser() {
        for command in ["show ip interface brief", "sh ip int br", "SHO IP INTE BRI"] {
            assert_eq!(
                parse_command(command, SAMPLE).unwrap(),
                parse(SAMPLE).unwrap()
            );
        }
    }

    #[test]
    fn crlf_line_endings() {
        let crlf = SAMPLE.replace('\n', "\r\n");
        assert_eq!(parse(&crlf).unwrap(), parse(SAMPLE).unwrap());
    }

    #[test]
    fn header_only_is_an_empty_table() {
        let header =
            "Interface              IP-Address      OK? Method Status                Protocol\n";
        assert_eq!(parse(header).unwrap(), json!([]));
    }

    #[test]
    fn garbage_is_unexpected() {
        for garbage in [
            "",
            "hello world",
            "% Invalid input detected at '^' marker.",
            "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11",
            "Port      Name               Status       Vlan       Duplex  Speed Type\n\
             Fa0/1                        connected    10         a-full  a-100 10/100BaseTX",
        ] {
            let err = parse_command(COMMAND, garbage).unwrap_err();
            let ParseError::Unexpected(msg) = &err else {
                panic!("{err:?}");
            };
            assert!(msg.contains(COMMAND), "{msg}");
        }
    }

    #[test]
    fn bad_rows_are_unexpected() {
        let header =
            "Interface              IP-Address      OK? Method Status                Protocol\n";
        for row in [
            "GigabitEthernet0/0     192.0.2.1       YES NVRAM  up",
            "GigabitEthernet0/0     192.0.2.1       YES NVRAM",
            "GigabitEthernet0/0     not-an-ip       YES NVRAM  up                    up",
            "GigabitEthernet0/0     192.0.2.1       MAYBE NVRAM  up                  up",
            "Router#",
        ] {
            let err = parse(&format!("{header}{row}\n")).unwrap_err();
            let ParseError::Unexpected(msg) = &err else {
                panic!("{err:?}");
            };
            assert!(msg.contains("expected a row"), "{msg}");
        }
    }
}
