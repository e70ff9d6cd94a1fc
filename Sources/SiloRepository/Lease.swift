import Foundation
import SiloFormat
import SiloStorage

/// A short-lived announcement that a process is working on the repository: backups take a
/// `backup` lease so that prune never deletes what they might still reference, prune takes a
/// `prune` lease so that two prunes do not run at once. A lease whose holder died simply stops
/// being refreshed and is ignored once stale: it never needs a human.
///
/// A lease may be judged stale while its holder still runs (it was paused longer than
/// `staleAfter`). The holder then must not commit anything: it checks `HeldLease.confirm()`
/// before and after writing a snapshot (FORMAT.md §11).
public struct Lease: Codable, Sendable, Equatable {
    public static let kind = "silo.lease"
    public static let prefix = "locks/"

    /// How long leases live; tests shorten it.
    public struct Timing: Sendable {
        /// A lease not refreshed for this long is stale (its holder is gone or paused).
        public var staleAfter: TimeInterval
        /// Holders refresh this often.
        public var refreshEvery: TimeInterval
        /// A holder whose last refresh is older than `staleAfter - margin` counts its lease as
        /// lost: the margin covers clocks of other hosts running ahead of this one.
        public var margin: TimeInterval

        public static let standard = Timing(staleAfter: 30 * 60, refreshEvery: 5 * 60, margin: 10 * 60)

        public init(staleAfter: TimeInterval, refreshEvery: TimeInterval, margin: TimeInterval) {
            self.staleAfter = staleAfter
            self.refreshEvery = refreshEvery
            self.margin = margin
        }
    }

    public static var staleAfter: TimeInterval { Timing.standard.staleAfter }

    public enum Purpose: String, Codable, Sendable { case backup, prune }

    public var version = 1
    public var purpose: Purpose
    public var host: String
    public var pid: Int32
    /// When the holder started, seconds since the epoch: prune compares this with its marks.
    public var started: Double
    public var refreshed: Double
    /// The holder's boot, PID namespace and start time (`ProcessIdentity`); absent in leases
    /// of older versions, whose PID is then never trusted.
    public var boot: String?
    public var pidNamespace: String?
    public var startTicks: UInt64?

    public init(purpose: Purpose, host: String, pid: Int32, started: Double, refreshed: Double, identity: ProcessIdentity?) {
        self.purpose = purpose
        self.host = host
        self.pid = pid
        self.started = started
        self.refreshed = refreshed
        boot = identity?.bootID
        pidNamespace = identity?.pidNamespace
        startTicks = identity?.startTicks
    }

    /// Stale when not refreshed for `staleAfter`, or at once when its holder is provably gone:
    /// it ran on this host, in this boot and this PID namespace, and that process no longer
    /// exists (or its PID now belongs to a process started later). A PID from another
    /// namespace — a container sharing the host name, a cloned machine — proves nothing.
    public func isStale(now: Date = Date(), timing: Timing = .standard, local: ProcessIdentity? = ProcessIdentity.current) -> Bool {
        if now.timeIntervalSince1970 - refreshed > timing.staleAfter { return true }
        guard let local, host == Host.name, boot == local.bootID, pidNamespace == local.pidNamespace,
              pid > 0, pid != local.pid else { return false }
        return ProcessIdentity(bootID: local.bootID, pidNamespace: local.pidNamespace, pid: pid, startTicks: startTicks).isGone()
    }
}

/// A lease held by this process; `release` removes it, `refresh` renews it.
public final class HeldLease: @unchecked Sendable {
    public let key: String
    private let repository: Repository
    private let timing: Lease.Timing
    private let lock = NSLock()
    private var lease: Lease
    private var timer: DispatchSourceTimer?
    /// The `refreshed` time of the last write that succeeded.
    private var lastWritten: Double
    /// Set once a refresh came too late: a prune may have taken the lease for stale meanwhile.
    private var lost = false
    /// True when the lease lives in memory only (prune on a full disk).
    public let inMemoryOnly: Bool
    /// Held across a commit (`whileCommitting`) and by `interrupt`: an interrupted process
    /// deletes its lease only after a snapshot being written is whole, or before one is begun.
    private let commitLock = NSLock()
    private var interrupted = false
    private var cleanup: InterruptCleanup.Token?

    init(repository: Repository, lease: Lease, timing: Lease.Timing, write: Bool = true) throws {
        self.repository = repository
        self.lease = lease
        self.timing = timing
        lastWritten = lease.refreshed
        inMemoryOnly = !write
        key = Lease.prefix + Crypto.randomBytes(16).map { String(format: "%02x", $0) }.joined()
        if write { try self.write() }
        cleanup = InterruptCleanup.shared.register(.leases) { [weak self] in self?.interrupt() }
    }

    /// Runs `body` (confirm, write the snapshot, confirm) so that an interruption never deletes
    /// the lease in its middle.
    public func whileCommitting<T>(_ body: () throws -> T) rethrows -> T {
        try commitLock.withLock(body)
    }

    /// SIGINT or SIGTERM: the lease is lost for good (no commit follows) and deleted.
    func interrupt() {
        commitLock.withLock { lock.withLock { interrupted = true } }
        release()
    }

    private func write() throws {
        let data = repository.sealer.seal(try JSONEncoder().encode(lock.withLock { lease }), kind: Lease.kind)
        do {
            try repository.store.put(key, data: data)
        } catch {
            throw RepositoryError.wrap(error, context: "writing lease \(key)")
        }
    }

    private var released = false

    /// Refreshes the lease in the background until released.
    public func keepAlive() {
        guard !inMemoryOnly else { return }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + timing.refreshEvery, repeating: timing.refreshEvery)
        timer.setEventHandler { [weak self] in self?.refresh() }
        timer.resume()
        lock.withLock { self.timer = timer }
    }

    /// Writes the lease again. A refresh that comes too late (the process was paused) marks
    /// the lease lost for good: rewriting it cannot undo what a prune did meanwhile.
    func refresh(now: Date = Date()) {
        let time = now.timeIntervalSince1970
        let written = lock.withLock { () -> Lease? in
            guard !released else { return nil }
            if time - lastWritten >= timing.staleAfter - timing.margin { lost = true }
            lease.refreshed = time
            return lease
        }
        guard written != nil, (try? write()) != nil else { return }
        lock.withLock { lastWritten = max(lastWritten, time) }
    }

    /// Throws unless the lease has certainly been seen as live by every prune so far: called
    /// by a backup just before and just after it writes its snapshot. (A prune judges a lease
    /// stale only `staleAfter` after its last refresh; this holder gives up `margin` earlier.)
    public func confirm(now: Date = Date()) throws {
        guard !inMemoryOnly else { return }
        let (lost, last, interrupted) = lock.withLock { (self.lost, lastWritten, self.interrupted) }
        if interrupted { throw RepositoryError(.interrupted, "interrupted; nothing was committed") }
        let age = now.timeIntervalSince1970 - last
        if lost || age >= timing.staleAfter - timing.margin {
            throw RepositoryError(.leaseLost, "this process's \(lease.purpose.rawValue) lease was last refreshed \(Int(age)) s ago, so a prune may have taken it for stale (was the process paused?); nothing was committed — run it again")
        }
    }

    /// Deletes the lease; later calls do nothing (each would cost a request on a remote store).
    public func release() {
        InterruptCleanup.shared.unregister(cleanup)
        let first = lock.withLock { () -> Bool in
            timer?.cancel()
            timer = nil
            defer { released = true }
            return !released
        }
        if first && !inMemoryOnly { try? repository.store.delete(key) }
    }

    deinit { lock.withLock { timer?.cancel() } }
}

extension Repository {
    /// Announces a backup or prune. Written before the holder reads anything it relies on.
    public func takeLease(_ purpose: Lease.Purpose, timing: Lease.Timing = .standard) throws -> HeldLease {
        try HeldLease(repository: self, lease: newLease(purpose), timing: timing)
    }

    /// A lease kept in memory only, for a prune that cannot write one (the disk is full):
    /// backups still see nothing of it, so it must only be used where a prune can do no harm.
    public func inMemoryLease(_ purpose: Lease.Purpose) throws -> HeldLease {
        try HeldLease(repository: self, lease: newLease(purpose), timing: .standard, write: false)
    }

    private func newLease(_ purpose: Lease.Purpose) -> Lease {
        let now = Date().timeIntervalSince1970
        return Lease(purpose: purpose, host: Host.name, pid: getpid(), started: now, refreshed: now, identity: ProcessIdentity.current)
    }

    /// Every lease that is not stale. Stale ones are deleted on the way, so that the locks
    /// folder does not fill up with the leftovers of killed processes, and so that a lease a
    /// prune ignored is gone for good. (One that does not authenticate is damage, not a
    /// holder: it is ignored rather than allowed to block prune forever.)
    /// Every readable lease and whether it is stale, touching none (what monitoring reports).
    public func leases(now: Date = Date(), timing: Lease.Timing = .standard) throws -> [(lease: Lease, stale: Bool)] {
        try store.list(prefix: Lease.prefix).compactMap { key in
            guard let data = try? store.get(key), let plain = try? sealer.open(data, kind: Lease.kind),
                  let lease = try? JSONDecoder().decode(Lease.self, from: plain) else { return nil }
            return (lease, lease.isStale(now: now, timing: timing))
        }
    }

    public func liveLeases(now: Date = Date(), timing: Lease.Timing = .standard, removingStale: Bool = false) throws -> [Lease] {
        var result: [Lease] = []
        for key in try store.list(prefix: Lease.prefix) {
            guard let data = try? store.get(key),  // released meanwhile
                  let plain = try? sealer.open(data, kind: Lease.kind),
                  let lease = try? JSONDecoder().decode(Lease.self, from: plain) else { continue }
            if !lease.isStale(now: now, timing: timing) {
                result.append(lease)
            } else if removingStale {
                try? store.delete(key)
            }
        }
        return result
    }
}
