import Foundation
import SiloStorage
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM end a command cleanly: its leases and temporary objects are removed
/// (`InterruptCleanup`), the progress line is cleared, "interrupted" is said, and the exit code
/// is 130 or 143 (128 + the signal, as shells report it). A second signal exits at once.
///
/// The two signals are blocked in every thread and taken by one thread with `sigwait`, so the
/// cleanup runs as ordinary code, not in a signal handler. Children get them unblocked again
/// (ChildProcess resets the mask).
enum Interrupts {
    /// Call first in `main`, before any thread is started: threads inherit the mask.
    static func install() {
        var blocked = handled
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        let json = CommandLine.arguments.contains("--json")
        Thread.detachNewThread {
            var signals = handled
            var first = true
            while true {
                var received: Int32 = 0
                guard sigwait(&signals, &received) == 0 else { continue }
                guard first else { _exit(128 + received) }
                first = false
                let signal = received
                Thread.detachNewThread { stop(signal: signal, json: json) }
            }
        }
    }

    private static var handled: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        return signals
    }

    private static func stop(signal: Int32, json: Bool) {
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        let line = json
            ? "{\"message\":\"interrupted by \(name); its lease and temporary files were removed\",\"message_type\":\"error\"}\n"
            : (isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" : "") + "silo: interrupted by \(name); its lease and temporary files were removed\n"
        InterruptCleanup.shared.runAll()
        Output.raw(line, STDERR_FILENO)
        _exit(128 + signal)
    }
}
