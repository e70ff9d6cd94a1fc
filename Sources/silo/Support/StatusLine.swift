import Foundation

/// The one progress line on stderr, shared by every `Output` and by the interrupt handler:
/// whatever is printed next clears it first, so text never lands in its middle, and once a
/// signal ends the command it is cleared for good, so "interrupted" is said on a line of its
/// own and no progress is drawn after it.
enum StatusLine {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var shown = false
    nonisolated(unsafe) private static var ended = false

    /// Replaces the line (which the caller has fitted to the terminal's width).
    static func draw(_ text: String) {
        lock.withLock {
            guard !ended else { return }
            Output.raw("\r\u{1B}[K" + text, STDERR_FILENO)
            shown = true
        }
    }

    /// Writes `text` to `stream`, the progress line cleared first.
    static func write(_ text: String, to stream: Int32) {
        lock.withLock {
            clearShown()
            Output.raw(text, stream)
        }
    }

    static func clear() { lock.withLock { clearShown() } }

    /// For an interruption: the line is cleared and never drawn again.
    static func end() {
        lock.withLock {
            ended = true
            clearShown()
        }
    }

    private static func clearShown() {
        guard shown else { return }
        Output.raw("\r\u{1B}[K", STDERR_FILENO)
        shown = false
    }
}
