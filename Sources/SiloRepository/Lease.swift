import Foundation
import SiloFormat
import SiloStorage

/// A short-lived announcement that a process is working on the repository: backups take a
/// `backup` lease so that prune never deletes what they might still reference, prune takes a
/// `prune` lease so that two prunes do not run at once. A lease whose holder died simply stops
/// being refreshed and is ignored once stale: it never needs a human.
public struct Lease: Codable, Sendable, Equatable {
    public static let kind = "silo.lease"
    public static let prefix = "locks/"
    /// A lease not refreshed for this long is stale (its holder is gone).
    public static let staleAfter: TimeInterval = 30 * 60
    /// Holders refresh this often.
    public static let refreshEvery: TimeInterval = 5 * 60

    public enum Purpose: String, Codable, Sendable { case backup, prune }

    public var version = 1
    public var purpose: Purpose
    public var host: String
    public var pid: Int32
    /// When the holder started, seconds since the epoch: prune compares this with its marks.
    public var started: Double
    public var refreshed: Double

    /// Stale when not refreshed for `staleAfter`, or at once when its holder ran on this host
    /// and that process is gone (killed, crashed).
    public func isStale(now: Date = Date()) -> Bool {
        if now.timeIntervalSince1970 - refreshed > Lease.staleAfter { return true }
        if host == Host.name, pid > 0, pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { return true }
        return false
    }
}

/// A lease held by this process; `release` removes it, `refresh` renews it.
public final class HeldLease: @unchecked Sendable {
    public let key: String
    private let repository: Repository
    private let lock = NSLock()
    private var lease: Lease
    private var timer: DispatchSourceTimer?

    init(repository: Repository, lease: Lease) throws {
        self.repository = repository
        self.lease = lease
        key = Lease.prefix + Crypto.randomBytes(16).map { String(format: "%02x", $0) }.joined()
        try write()
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
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + Lease.refreshEvery, repeating: Lease.refreshEvery)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.withLock { self.lease.refreshed = Date().timeIntervalSince1970 }
            try? self.write()
        }
        timer.resume()
        lock.withLock { self.timer = timer }
    }

    /// Deletes the lease; later calls do nothing (each would cost a request on a remote store).
    public func release() {
        let first = lock.withLock { () -> Bool in
            timer?.cancel()
            timer = nil
            defer { released = true }
            return !released
        }
        if first { try? repository.store.delete(key) }
    }

    deinit { lock.withLock { timer?.cancel() } }
}

extension Repository {
    /// Announces a backup or prune. Written before the holder reads anything it relies on.
    public func takeLease(_ purpose: Lease.Purpose) throws -> HeldLease {
        let now = Date().timeIntervalSince1970
        return try HeldLease(repository: self, lease: Lease(purpose: purpose, host: Host.name, pid: getpid(), started: now, refreshed: now))
    }

    /// Deletes leases whose holders are gone, so that the locks folder does not fill up with
    /// the leftovers of killed processes.
    public func removeStaleLeases(now: Date = Date()) throws {
        for key in try store.list(prefix: Lease.prefix) {
            guard let data = try? store.get(key), let plain = try? sealer.open(data, kind: Lease.kind),
                  let lease = try? JSONDecoder().decode(Lease.self, from: plain), lease.isStale(now: now) else { continue }
            try? store.delete(key)
        }
    }

    /// Every lease that is not stale. (One that does not authenticate is damage, not a holder:
    /// it is ignored rather than allowed to block prune forever.)
    public func liveLeases(now: Date = Date()) throws -> [Lease] {
        var result: [Lease] = []
        for key in try store.list(prefix: Lease.prefix) {
            guard let data = try? store.get(key),  // released meanwhile
                  let plain = try? sealer.open(data, kind: Lease.kind),
                  let lease = try? JSONDecoder().decode(Lease.self, from: plain) else { continue }
            if !lease.isStale(now: now) { result.append(lease) }
        }
        return result
    }
}
