import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    /// A lease `unlock` removed, and why.
    public struct RemovedLease: Sendable {
        public enum Reason: String, Sendable {
            /// Not refreshed for `Lease.staleAfter`, or its holder is provably gone.
            case stale
            /// Does not authenticate: damage, never a holder (prune already ignores it).
            case damaged
            /// Live, removed only because `--remove-all` asked for it.
            case live
        }
        public let key: String
        public let lease: Lease?
        public let reason: Reason
    }

    /// `unlock` without the local catalog: a backup that hangs (stopped, or stuck on a dead
    /// mount) may hold the catalog's SQLite write lock, which every full `open` waits on; a dead
    /// one has released it. The leases need only the store and the keys.
    public static func removeLeases(store: ObjectStore, password: Data?, all: Bool) throws -> [RemovedLease] {
        let config = try readConfig(store: store)
        var keys: MasterKeys?
        if config.isEncrypted {
            guard let password, !password.isEmpty else {
                throw RepositoryError(.wrongPassword, "this repository is encrypted: give its password with SILO_PASSWORD or --password-file")
            }
            keys = try openKey(store: store, password: password).keys
        }
        return try removeLeases(store: store, sealer: ObjectSealer(keys: keys), all: all)
    }

    /// restic's `unlock`: deletes the leases no process holds any more (prune ignores them
    /// anyway; this tidies up and says which they were). With `all`, live leases go too: a
    /// backup that then runs on past a prune's mark is exactly the danger leases prevent, so
    /// only a user who knows every holder is gone asks for it.
    public func removeLeases(all: Bool, now: Date = Date(), timing: Lease.Timing = .standard) throws -> [RemovedLease] {
        try Self.removeLeases(store: store, sealer: sealer, all: all, now: now, timing: timing)
    }

    static func removeLeases(store: ObjectStore, sealer: ObjectSealer, all: Bool, now: Date = Date(),
                             timing: Lease.Timing = .standard) throws -> [RemovedLease] {
        var removed: [RemovedLease] = []
        let keys: [String]
        do {
            keys = try store.list(prefix: Lease.prefix)
        } catch {
            throw RepositoryError.wrap(error, context: "listing leases")
        }
        for key in keys.sorted() {
            guard let data = try? store.get(key) else { continue }  // released meanwhile
            let lease = (try? sealer.open(data, kind: Lease.kind)).flatMap { try? JSONDecoder().decode(Lease.self, from: $0) }
            let reason: RemovedLease.Reason
            if let lease {
                if lease.isStale(now: now, timing: timing) { reason = .stale } else if all { reason = .live } else { continue }
            } else {
                reason = .damaged
            }
            do {
                try store.delete(key)
            } catch let error as StorageError where error.code == .notFound {
                continue  // its holder released it meanwhile
            } catch {
                throw RepositoryError.wrap(error, context: "removing lease \(key)")
            }
            removed.append(RemovedLease(key: key, lease: lease, reason: reason))
        }
        return removed
    }
}
