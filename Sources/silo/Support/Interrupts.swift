import Foundation
import SiloStorage
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM end a command cleanly: its leases and temporary objects are removed
/// (`InterruptCleanup`), a terminal left without echo by a password prompt is restored, the
/// progress line is cleared, "interrupted" is said, and the exit code is 130 or 143 (128 + the
/// signal, as shells report it). A second signal exits at once.
///
/// The two signals are blocked in every thread and taken by one thread with `sigwait`, so the
/// cleanup runs as ordinary code, not in a signal handler. Children get them unblocked again
/// (ChildProcess resets the mask).
enum Interrupts {
    private static let lock = NSLock()
    /// The signal being handled; from then on only the signal thread may end the process.
    nonisolated(unsafe) private static var received: Int32 = 0
    /// The terminal settings a password prompt changed (echo off), to put back on a signal.
    nonisolated(unsafe) private static var terminal: (fd: Int32, settings: termios)?

    /// Call first in `main`, before any thread is started: threads inherit the mask.
    static func install() {
        var blocked = handled
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        let json = CommandLine.arguments.contains("--json")
        Thread.detachNewThread {
            var signals = handled
            while true {
                var taken: Int32 = 0
                guard sigwait(&signals, &taken) == 0 else { continue }
                let signal = taken
                let first = lock.withLock { () -> Bool in
                    guard received == 0 else { return false }
                    received = signal
                    return true
                }
                guard first else { _exit(128 + signal) }
                Thread.detachNewThread { stop(signal: signal, json: json) }
            }
        }
    }

    /// Called by the main thread before it reports an error or exits: once a signal has been
    /// taken, the command's own failure (a commit refused, a write whose temporary file the
    /// cleanup removed) is a consequence of it. The main thread then waits for the signal
    /// thread, which exits with the signal's code once the cleanup is done, instead of exiting
    /// first with another code while leases or temporary files are still being removed.
    static func yieldIfInterrupted() {
        guard lock.withLock({ received != 0 }) else { return }
        while true { sleep(60) }
    }

    /// Runs `body` (a password prompt) with the terminal settings `saved` remembered, so that
    /// an interruption in the middle puts echo back on.
    static func whileTerminalChanged<T>(fd: Int32, saved: termios, _ body: () -> T) -> T {
        lock.withLock { terminal = (fd, saved) }
        defer { lock.withLock { terminal = nil } }
        return body()
    }

    private static var handled: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        return signals
    }

    private static func stop(signal: Int32, json: Bool) {
        // The progress line goes first and is not drawn again: the cleanup below takes a while.
        StatusLine.end()
        if var changed = lock.withLock({ terminal }) {
            tcsetattr(changed.fd, TCSAFLUSH, &changed.settings)
            _ = write(changed.fd, "\n", 1)
        }
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        let line = json
            ? "{\"exit_code\":\(128 + signal),\"message\":\"interrupted by \(name); its lease and temporary files were removed\",\"message_type\":\"error\"}\n"
            : (isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" : "") + "silo: interrupted by \(name); its lease and temporary files were removed\n"
        InterruptCleanup.shared.runAll(signal: signal)
        // Tests widen the window in which the command itself notices the interruption.
        if let pause = ProcessInfo.processInfo.environment["SILO_TEST_INTERRUPT_PAUSE_MS"].flatMap(UInt32.init) {
            usleep(pause * 1000)
        }
        Output.raw(line, STDERR_FILENO)
        _exit(128 + signal)
    }
}
