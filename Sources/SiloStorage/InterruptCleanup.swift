import Foundation

/// What this process must undo when it is interrupted (SIGINT, SIGTERM) before it exits: its
/// leases first (so that no snapshot is committed after them), then the temporary files of the
/// writes it has in progress. The CLI's signal thread calls `runAll` and then exits; nothing
/// else does. Kill -9 leaves the same things behind, and prune removes them later; an
/// interrupted command removes them at once.
public final class InterruptCleanup: @unchecked Sendable {
    public static let shared = InterruptCleanup()

    public struct Token: Hashable, Sendable { fileprivate let value: UInt64 }
    /// In this order: leases, temporary files, then records of what was interrupted (the run
    /// history), written once nothing more can change in the repository.
    public enum Phase: Sendable { case leases, temporaries, records }

    private let lock = NSLock()
    private var next: UInt64 = 0
    private var actions: [Token: (phase: Phase, run: @Sendable () -> Void)] = [:]
    private var interrupted = false

    /// Registers `action`; once the process is being interrupted it runs at once instead (a
    /// worker may start a write while the cleanup runs). Unregister when the work is done.
    @discardableResult
    public func register(_ phase: Phase, _ action: @escaping @Sendable () -> Void) -> Token? {
        let token: Token? = lock.withLock {
            guard !interrupted else { return nil }
            next += 1
            let token = Token(value: next)
            actions[token] = (phase, action)
            return token
        }
        if token == nil { action() }
        return token
    }

    public func unregister(_ token: Token?) {
        guard let token else { return }
        lock.withLock { _ = actions.removeValue(forKey: token) }
    }

    public var isInterrupted: Bool { lock.withLock { interrupted } }

    /// The signal that interrupted the process (0 until one did).
    public var signal: Int32 { lock.withLock { received } }
    private var received: Int32 = 0

    /// Runs every registered action, leases first; later registrations run at once.
    public func runAll(signal: Int32 = 0) {
        let pending = lock.withLock { () -> [(phase: Phase, run: @Sendable () -> Void)] in
            interrupted = true
            received = signal
            defer { actions.removeAll() }
            return Array(actions.values)
        }
        for action in pending where action.phase == .leases { action.run() }
        for action in pending where action.phase == .temporaries { action.run() }
        for action in pending where action.phase == .records { action.run() }
    }
}
