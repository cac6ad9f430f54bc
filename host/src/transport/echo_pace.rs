//! Reading a command's echo in one wake-up when the device types it back a
//! character a packet (see [`crate::pacing`] for why and how the
//! connection waits).
//!
//! A session's [`EchoPace`] follows each command's echo as it arrives (and
//! each mode change's: `enable`, `configure terminal`; never a secret's,
//! which is not echoed). When
//! its first characters come each in a piece of their own, it raises the
//! connection's read threshold to about what the rest fills the socket
//! with (one packet a character still to come and the line end's, less
//! one for a piece already read past the socket); when the whole echo of
//! a command came so, it raises it before the next command is sent (one
//! packet a character, one for the line end and a byte more: the start of
//! the answer, which every command has, its prompt at least, so the echo
//! is read whole with its line end and the answer's start in one wake-up,
//! whether the line end comes in a packet of its own or in the answer's).
//! The connection's next read lowers it. If that read has not come by
//! about twice the time the echo took so far, the session lowers it itself
//! and reads what came. An echo that then comes whole in fewer pieces than
//! characters came otherwise, and the next command is read as it comes;
//! one still a character a piece was only slow to be answered, or its line
//! end came in the answer's packet, no larger than a character's (ciphers
//! that pad to 16 bytes and more): the next is waited for from the start
//! again, to its line end only.

use crate::pacing::{EchoWait, SMALLEST_PACKET};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Characters from which a command's echo is followed and, once its
/// device is known to echo a character a packet, waited for from the start.
const MIN_CHARS: usize = 4;

/// Characters still to come from which the rest of an echo is waited for
/// in one wake-up (with its line end, a packet each): `enable`'s last three
/// after its first three came a piece each. Fewer cost a wake-up anyway.
const MIN_REST: usize = 3;

/// Pieces of an echo, each a character, after which the rest is waited for.
const PIECES_BEFORE_RAISE: u32 = 3;

/// Added to twice the time the echo took so far, for how long a raised
/// threshold waits at most.
const SLACK: Duration = Duration::from_millis(50);

/// How long the wait for the PTY's and the shell's replies lasts at most.
const REPLIES_PATIENCE: Duration = Duration::from_millis(100);

/// How long a raised threshold waits for `chars` characters coming
/// `per_char` apart: twice that and [`SLACK`], at most half of `left`
/// (the read's time).
fn patience(per_char: Duration, chars: usize, left: Duration) -> Duration {
    let chars = u32::try_from(chars).unwrap_or(u32::MAX);
    (per_char.saturating_mul(chars).saturating_mul(2) + SLACK).min(left / 2)
}

/// One session's reading of its commands' echoes.
#[derive(Debug)]
pub(crate) struct EchoPace {
    /// The device, named in debug logs.
    device: String,
    /// What the session tells its TCP connection (none through jump hosts
    /// or from a recording: nothing is raised then).
    wait: Option<Arc<EchoWait>>,
    /// The last command's echo came a character a packet, this long a
    /// character: the next one's is waited for from the start.
    per_char: Option<Duration>,
    /// The command being read, while its echo is followed.
    command: Option<Command>,
    /// A command waited for from the start is waited for with a byte of
    /// its answer; off once such a wait gave up on an echo that came a
    /// character a piece (the answer slow, or its line end in the answer's
    /// packet and the two no larger than a character's packet).
    with_answer: bool,
}

/// Lowers the connection's read threshold when dropped, so a read given up
/// half-way (its device's deadline passed) leaves none raised for the
/// session's next read.
#[derive(Debug)]
pub(crate) struct LowerOnDrop(Option<Arc<EchoWait>>);

impl Drop for LowerOnDrop {
    fn drop(&mut self) {
        if let Some(wait) = &self.0 {
            wait.lower();
        }
    }
}

/// The echo of the command being read.
#[derive(Debug)]
struct Command {
    /// Its length in bytes, as typed (trimmed); 0 for the shell's replies.
    typed: usize,
    /// When it was sent.
    sent: Instant,
    /// Pieces (channel data) received so far.
    pieces: u32,
    /// The echo is still to be seen whole.
    watching: bool,
    /// It came a character a piece (or the threshold was raised for it).
    trickled: bool,
    /// The threshold was raised for it (once a command: what the
    /// connection read meanwhile may wait unread in the session).
    raised: bool,
    /// When the raised threshold gives up, while raised.
    give_up: Option<Instant>,
    /// The raised threshold gave up.
    gave_up: bool,
    /// How long the echo took to be whole, once it was.
    took: Option<Duration>,
}

impl Command {
    /// `typed` bytes sent now, their echo to be followed.
    fn sent(typed: usize) -> Command {
        Command {
            typed,
            sent: Instant::now(),
            pieces: 0,
            watching: true,
            trickled: false,
            raised: false,
            give_up: None,
            gave_up: false,
            took: None,
        }
    }
}

impl EchoPace {
    /// Follow the echoes of a session over `wait`'s connection.
    pub(crate) fn new(device: &str, wait: Option<Arc<EchoWait>>) -> EchoPace {
        EchoPace {
            device: device.to_string(),
            wait,
            per_char: None,
            command: None,
            with_answer: true,
        }
    }

    /// `typed` (the command, trimmed) is about to be sent, to be answered
    /// within `timeout`.
    pub(crate) fn sending(&mut self, typed: &str, timeout: Duration) {
        self.command = None;
        if typed.len() < MIN_CHARS || self.wait.is_none() {
            return;
        }
        let mut command = Command::sent(typed.len());
        if let Some(per_char) = self.per_char {
            let patience = patience(per_char, typed.len(), timeout);
            let why = "the device echoed the last command a character a packet: reading this one's echo in one wake-up";
            // Its characters, the line end, and the answer's first byte.
            let answer = u32::from(self.with_answer);
            if let Some(give_up) = self.raise(typed.len() + 1, answer, patience, why) {
                command.give_up = Some(give_up);
                command.raised = true;
                command.trickled = true;
            }
        }
        self.command = Some(command);
    }

    /// The PTY and the shell were asked for, each with a reply wanted: the
    /// two replies (a packet each, however the device sends them) are
    /// read in one wake-up. A server that sends less and waits for an
    /// Enter is read as it comes after [`REPLIES_PATIENCE`].
    pub(crate) fn shell_asked(&mut self) {
        let Some(wait) = self.wait.as_ref() else {
            return;
        };
        if !wait.raise(2 * SMALLEST_PACKET) {
            return;
        }
        tracing::debug!(device = %self.device, "reading the PTY's and the shell's replies in one wake-up");
        let sent = Command::sent(0);
        self.command = Some(Command {
            watching: false,
            raised: true,
            give_up: Some(sent.sent + REPLIES_PATIENCE),
            ..sent
        });
    }

    /// Kept while a command's answer is read: lowers the threshold if the
    /// read ends without [`EchoPace::answered`].
    pub(crate) fn lower_on_drop(&self) -> LowerOnDrop {
        LowerOnDrop(self.wait.clone())
    }

    /// Whether a piece of the read is followed ([`EchoPace::piece`]).
    pub(crate) fn watching(&self) -> bool {
        self.command.as_ref().is_some_and(|c| c.watching)
    }

    /// A piece of data arrived: `received` is all the read has received,
    /// `wanted` the echo still looked for (`None` once seen), `whole`
    /// whether it is now, `deadline` the read's.
    pub(crate) fn piece(
        &mut self,
        received: &[u8],
        wanted: Option<&str>,
        whole: bool,
        deadline: Instant,
    ) {
        let raise = {
            let Some(c) = self.command.as_mut().filter(|c| c.watching) else {
                return;
            };
            c.pieces += 1;
            if whole {
                c.watching = false;
                c.took = Some(c.sent.elapsed());
                if c.pieces as usize * 2 >= c.typed {
                    c.trickled = true;
                }
                return;
            }
            if memchr::memchr(b'\n', received).is_some() {
                // A line ended before the echo: one not as typed.
                c.watching = false;
                return;
            }
            let one_char_each = received.len() <= c.pieces as usize
                && wanted.is_some_and(|w| w.as_bytes().starts_with(received));
            if c.raised || c.pieces < PIECES_BEFORE_RAISE || !one_char_each {
                return;
            }
            let rest = c.typed.saturating_sub(received.len());
            if rest < MIN_REST {
                return;
            }
            c.trickled = true;
            let so_far = c.sent.elapsed() / c.pieces;
            let left = deadline.saturating_duration_since(Instant::now());
            let patience = patience(so_far, rest, left);
            // The rest and the line end, less a piece that may already
            // be past the socket, on its way to the session.
            (rest, patience)
        };
        let why =
            "the device echoes a character a packet: reading the rest of the echo in one wake-up";
        let give_up = self.raise(raise.0, 0, raise.1, why);
        if let Some(c) = self.command.as_mut() {
            c.raised = true;
            c.give_up = give_up;
        }
    }

    /// When the read's wait for the next piece ends: `until`, or sooner to
    /// give up a raised threshold.
    pub(crate) fn wait_until(&self, until: Instant) -> Instant {
        match self.command.as_ref().and_then(|c| c.give_up) {
            Some(give_up) if self.raised() => until.min(give_up),
            _ => until,
        }
    }

    /// Whether the threshold is still raised (no read lowered it since).
    fn raised(&self) -> bool {
        self.wait.as_ref().is_some_and(|w| w.is_raised())
    }

    /// The read's wait ran out: whether it was to give up the raised
    /// threshold (now lowered: the read goes on).
    pub(crate) fn give_up_now(&mut self) -> bool {
        let raised = self.raised();
        let Some(c) = self.command.as_mut() else {
            return false;
        };
        if !raised {
            // The connection's read lowered it: nothing to give up.
            c.give_up = None;
        }
        if c.give_up.is_none_or(|g| Instant::now() < g) {
            return false;
        }
        c.give_up = None;
        c.gave_up = true;
        let what = match c.typed {
            0 => "the PTY's and the shell's replies",
            _ => "the echo, its line end, the answer's start",
        };
        tracing::debug!(device = %self.device, "less came than waited for ({what}): reading what came");
        if let Some(wait) = &self.wait {
            wait.lower();
        }
        true
    }

    /// The read ended (answered or not): the threshold is lowered, and how
    /// the echo came decides whether the next is waited for from the start.
    pub(crate) fn answered(&mut self) {
        let Some(c) = self.command.take() else {
            return;
        };
        if let Some(wait) = &self.wait {
            wait.lower();
        }
        let chars = u32::try_from(c.typed).unwrap_or(u32::MAX);
        // Given up on, an echo that still came a character a piece was
        // waited for rightly: only its answer was slow to start.
        let one_char_each = c.pieces as usize >= c.typed;
        if c.gave_up && one_char_each && c.took.is_some() {
            // Not its echo but the answer's byte came late: the answer was
            // slow, or its line end came in it, in a packet that is the
            // size of a character's. Waited for to its line end from now.
            self.with_answer = false;
        }
        self.per_char = match c.took {
            Some(took) if c.trickled && (!c.gave_up || one_char_each) => Some(took / chars),
            _ => None,
        };
    }

    /// Raise the threshold to `chars` packets and `more` bytes (`why`, for
    /// the debug log); when to give up, if it took.
    fn raise(&self, chars: usize, more: u32, patience: Duration, why: &str) -> Option<Instant> {
        let wait = self.wait.as_ref()?;
        let packet = wait.smallest_packet()?;
        let bytes = packet
            .saturating_mul(u32::try_from(chars).unwrap_or(u32::MAX))
            .saturating_add(more);
        if !wait.raise(bytes) {
            return None;
        }
        tracing::debug!(device = %self.device, chars, bytes, ?patience, "{why}");
        Some(Instant::now() + patience)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::pacing::DeviceTcp;
    use crate::pacing::tests::device_pair;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const TIMEOUT: Duration = Duration::from_secs(30);

    /// A session's pace over a connection whose shell has read one
    /// `packet`-byte packet.
    async fn pace_after_a_packet(
        packet: usize,
    ) -> (EchoPace, Arc<EchoWait>, DeviceTcp, tokio::net::TcpStream) {
        let (mut tcp, mut device) = device_pair().await;
        let wait = tcp.echo_wait();
        wait.shell_opened();
        device.write_all(&vec![0u8; packet]).await.expect("write");
        let mut buf = vec![0u8; packet];
        tcp.read_exact(&mut buf).await.expect("read");
        (EchoPace::new("r1", Some(wait.clone())), wait, tcp, device)
    }

    /// The pieces `from..=to` of `typed`'s echo coming a character each.
    fn echo_char_by_char(pace: &mut EchoPace, typed: &str, from: usize, to: usize) {
        let deadline = Instant::now() + TIMEOUT;
        for n in from..=to {
            let received = &typed.as_bytes()[..n];
            let whole = n == typed.len();
            pace.piece(received, (!whole).then_some(typed), whole, deadline);
        }
    }

    /// `terminal length 0` sent and echoed a character a piece, answered.
    fn trickled_command(pace: &mut EchoPace) {
        pace.sending("terminal length 0", TIMEOUT);
        echo_char_by_char(pace, "terminal length 0", 1, 17);
        pace.answered();
    }

    #[tokio::test]
    async fn the_rest_of_an_echo_coming_a_character_a_piece_is_waited_for_in_one_wake_up() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        let typed = "terminal length 0";
        pace.sending(typed, TIMEOUT);
        assert!(!wait.is_raised(), "nothing known of the device yet");
        echo_char_by_char(&mut pace, typed, 1, 2);
        assert!(!wait.is_raised(), "two pieces are not yet a trickle");
        echo_char_by_char(&mut pace, typed, 3, 3);
        assert!(wait.is_raised());
        // 17 characters, 3 seen: the 14 left and the line end, less one.
        assert_eq!(wait.threshold(), Some(36 * (17 - 3)));
        assert!(pace.wait_until(Instant::now() + TIMEOUT) < Instant::now() + TIMEOUT);
    }

    #[tokio::test]
    async fn the_last_three_characters_of_enable_are_waited_for_with_its_line_end() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        pace.sending("enable", TIMEOUT);
        echo_char_by_char(&mut pace, "enable", 1, 3);
        assert!(wait.is_raised());
        // `ble` and the line end, less one piece on its way.
        assert_eq!(wait.threshold(), Some(36 * 3));
        wait.lower();
        // A command with two characters left after three is read as it
        // comes.
        pace.sending("write", TIMEOUT);
        echo_char_by_char(&mut pace, "write", 1, 3);
        assert!(!wait.is_raised());
    }

    #[tokio::test]
    async fn after_a_trickled_echo_the_next_is_waited_for_from_the_start() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(52).await;
        trickled_command(&mut pace);
        assert!(!wait.is_raised(), "lowered once answered");
        pace.sending("show version", TIMEOUT);
        assert!(wait.is_raised(), "raised before the command is sent");
        // 12 characters, the line end and the answer's first byte.
        assert_eq!(wait.threshold(), Some(52 * 13 + 1));
        // The echo whole in the one wake-up waited for: so the next.
        wait.lower();
        pace.piece(b"show version\r\n", None, true, Instant::now() + TIMEOUT);
        pace.answered();
        pace.sending("end", TIMEOUT);
        assert!(!wait.is_raised(), "a command too short to wait for");
        pace.answered();
        pace.sending("show clock", TIMEOUT);
        assert!(wait.is_raised());
        assert_eq!(wait.threshold(), Some(52 * 11 + 1));
    }

    #[tokio::test]
    async fn an_echo_in_one_piece_is_read_as_it_comes_and_so_is_the_next() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        for _ in 0..2 {
            pace.sending("show version", TIMEOUT);
            assert!(!wait.is_raised());
            pace.piece(b"show version\r\n", None, true, Instant::now() + TIMEOUT);
            assert!(!wait.is_raised());
            pace.answered();
        }
    }

    #[tokio::test]
    async fn an_echo_not_as_typed_is_not_waited_for() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        pace.sending("show version", TIMEOUT);
        let deadline = Instant::now() + TIMEOUT;
        // A device that starts its answer with a line of its own.
        pace.piece(b"\r\n", Some("show version"), false, deadline);
        assert!(!pace.watching(), "a line ended before the echo");
        pace.sending("show version", TIMEOUT);
        // Single characters that are not the command's.
        for n in 1..=4 {
            pace.piece(&b"xxxx"[..n], Some("show version"), false, deadline);
        }
        assert!(!wait.is_raised());
    }

    #[tokio::test(start_paused = true)]
    async fn a_raise_not_met_in_time_is_given_up_and_the_next_command_read_as_it_comes() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        trickled_command(&mut pace);
        pace.sending("show version", TIMEOUT);
        assert!(wait.is_raised());
        assert!(!pace.give_up_now(), "not yet");
        let give_up = pace.wait_until(Instant::now() + TIMEOUT);
        tokio::time::sleep_until(give_up).await;
        assert!(pace.give_up_now());
        assert!(!wait.is_raised(), "given up: lowered");
        assert_eq!(wait.threshold(), Some(1));
        assert_eq!(
            pace.wait_until(give_up + TIMEOUT),
            give_up + TIMEOUT,
            "no second give-up"
        );
        // The echo came whole after all, in fewer packets than waited for.
        pace.piece(b"show version\r\n", None, true, give_up + TIMEOUT);
        pace.answered();
        pace.sending("show inventory", TIMEOUT);
        assert!(!wait.is_raised(), "the next command is read as it comes");
    }

    #[tokio::test(start_paused = true)]
    async fn an_echo_trickled_whole_but_answered_late_keeps_the_next_waited_for() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        trickled_command(&mut pace);
        pace.sending("show version", TIMEOUT);
        let give_up = pace.wait_until(Instant::now() + TIMEOUT);
        tokio::time::sleep_until(give_up).await;
        assert!(pace.give_up_now());
        // The echo had come a character a packet; the answer had not begun.
        echo_char_by_char(&mut pace, "show version", 1, 12);
        pace.answered();
        pace.sending("show inventory", TIMEOUT);
        assert!(
            wait.is_raised(),
            "the next command is waited for from the start"
        );
        // To its line end only: 14 characters and the line end.
        assert_eq!(wait.threshold(), Some(36 * 15));
        pace.piece(b"show inventory", None, true, Instant::now() + TIMEOUT);
        pace.answered();
        pace.sending("show clock", TIMEOUT);
        assert_eq!(wait.threshold(), Some(36 * 11), "and so from then on");
    }

    #[tokio::test]
    async fn a_line_end_in_the_answers_packet_meets_the_wait_from_the_start() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        trickled_command(&mut pace);
        pace.sending("terminal width 511", TIMEOUT);
        let threshold = wait.threshold().expect("raised");
        // 18 characters a packet each, then the line end and the prompt in
        // one packet, a byte or more larger than a character's: met.
        assert!(threshold <= 36 * 18 + 37, "{threshold}");
        // The line end's packet and the prompt's, apart: met; the line
        // end's alone is not (the answer's start comes in the same read).
        assert!(threshold <= 36 * 20);
        assert!(threshold > 36 * 19);
    }

    #[tokio::test]
    async fn the_shells_two_replies_are_read_in_one_wake_up() {
        let (mut pace, wait, mut tcp, mut device) = pace_after_a_packet(36).await;
        wait.shell_opened();
        pace.shell_asked();
        assert!(wait.is_raised());
        assert_eq!(wait.threshold(), Some(72));
        let until = Instant::now() + TIMEOUT;
        assert!(pace.wait_until(until) < until, "a give-up of its own");
        // The PTY's reply, then the shell's: read together.
        device.write_all(&[0u8; 36]).await.expect("write");
        device.write_all(&[0u8; 36]).await.expect("write");
        let mut buf = vec![0u8; 256];
        let n = tcp.read(&mut buf).await.expect("read");
        assert_eq!(n, 72, "both in the one read the threshold allowed");
        assert!(!wait.is_raised(), "the read lowered it");
        assert_eq!(wait.smallest_packet(), None, "two packets are not one");
        assert_eq!(pace.wait_until(until), until, "nothing left to give up");
        assert!(!pace.give_up_now());
    }

    #[tokio::test(start_paused = true)]
    async fn a_shell_that_sends_less_is_read_as_it_comes_after_a_moment() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        pace.shell_asked();
        assert!(wait.is_raised());
        let give_up = pace.wait_until(Instant::now() + TIMEOUT);
        assert!(give_up <= Instant::now() + REPLIES_PATIENCE);
        tokio::time::sleep_until(give_up).await;
        assert!(pace.give_up_now());
        assert!(!wait.is_raised());
        assert_eq!(wait.threshold(), Some(1));
    }

    #[tokio::test]
    async fn a_read_dropped_half_way_leaves_no_threshold_raised() {
        let (mut pace, wait, _tcp, _device) = pace_after_a_packet(36).await;
        trickled_command(&mut pace);
        let read = async {
            pace.sending("show version", TIMEOUT);
            let _lower = pace.lower_on_drop();
            assert!(wait.is_raised());
            std::future::pending::<()>().await;
        };
        let cut = tokio::time::timeout(Duration::from_millis(10), read).await;
        assert!(cut.is_err());
        assert!(!wait.is_raised());
        assert_eq!(wait.threshold(), Some(1));
    }

    #[tokio::test]
    async fn no_connection_to_raise_or_a_closed_one_changes_nothing() {
        let mut pace = EchoPace::new("r1", None);
        pace.sending("terminal length 0", TIMEOUT);
        assert!(!pace.watching());
        let (mut pace, wait, tcp, _device) = pace_after_a_packet(36).await;
        drop(tcp);
        pace.sending("terminal length 0", TIMEOUT);
        echo_char_by_char(&mut pace, "terminal length 0", 1, 5);
        assert!(!wait.is_raised());
        assert!(!pace.give_up_now());
    }
}
