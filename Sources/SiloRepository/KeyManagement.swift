import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    public struct KeyInfo: Sendable {
        public let id: KeyID
        public let file: KeyFile
        public let isCurrent: Bool
    }

    public func listKeys() throws -> [KeyInfo] {
        do {
            return try store.list(prefix: ObjectKeys.keysPrefix).sorted().compactMap { key in
                guard let id = ObjectKeys.id(from: key, as: KeyID.self) else { return nil }
                // A damaged key file is left out here; opening the repository reported it.
                let data = try store.get(key)
                guard let file = Self.intactKeyFile(data, id: id) else { return nil }
                return KeyInfo(id: id, file: file, isCurrent: id == openedKey)
            }
        } catch {
            throw RepositoryError.wrap(error, context: "listing keys")
        }
    }

    /// Wraps the same master keys with another password. No data is re-encrypted.
    public func addKey(password: Data, scryptN: UInt64 = KeyFile.defaultN) throws -> KeyID {
        guard let keys else { throw RepositoryError(.invalidArgument, "an unencrypted repository has no keys") }
        guard !password.isEmpty else { throw RepositoryError(.invalidArgument, "an empty password is not allowed") }
        guard scryptN <= KeyFile.maxN else {
            throw RepositoryError(.invalidArgument, "scrypt N=\(scryptN) is above the limit of \(KeyFile.maxN); no repository would try such a key")
        }
        let file = try KeyFile.create(password: password, keys: keys, created: Timestamp.iso8601(Date()),
                                      host: Host.name, username: Host.user, n: scryptN)
        let data = file.encoded()
        let id = KeyID(Crypto.sha256(data))
        do {
            try store.put(ObjectKeys.key(id), data: data)
        } catch {
            throw RepositoryError.wrap(error, context: "adding a key")
        }
        return id
    }

    /// Replaces the key in use by one with `password` (restic's `key passwd`). The new key
    /// file is written and read back (it must hash to its name and open with the new password)
    /// before the old one is deleted: interrupted at any point, the repository has the old key,
    /// or both, never neither. Returns the new key's ID and the old one's.
    public func changePassword(to password: Data, scryptN: UInt64 = KeyFile.defaultN) throws -> (added: KeyID, removed: KeyID) {
        guard let old = openedKey else { throw RepositoryError(.invalidArgument, "an unencrypted repository has no keys") }
        let added = try addKey(password: password, scryptN: scryptN)
        let written: Data
        do {
            written = try store.get(ObjectKeys.key(added))
        } catch {
            throw RepositoryError.wrap(error, context: "reading back new key \(added.shortHex); the old key \(old.shortHex) was kept")
        }
        guard let file = Self.intactKeyFile(written, id: added), let opened = try? file.open(password: password), opened == keys else {
            throw RepositoryError(.integrity, "new key \(added.shortHex) does not read back intact; the old key \(old.shortHex) was kept (remove the new one with `silo key remove \(added.hex)`)")
        }
        do {
            try store.delete(ObjectKeys.key(old))
        } catch {
            throw RepositoryError.wrap(error, context: "new key \(added.shortHex) added, but removing the old key \(old.shortHex) failed (both passwords open the repository; run `silo key remove \(old.hex)` with the new one)")
        }
        return (added, old)
    }

    /// Removes a key file, returning its full ID. Refuses to remove the key in use, so a
    /// repository never loses its last way in by this command.
    @discardableResult
    public func removeKey(_ prefix: String) throws -> KeyID {
        // Damaged key files too (listKeys leaves them out): removing them is the repair.
        let ids: [KeyID]
        do {
            ids = try store.list(prefix: ObjectKeys.keysPrefix).compactMap { ObjectKeys.id(from: $0, as: KeyID.self) }
        } catch {
            throw RepositoryError.wrap(error, context: "listing keys")
        }
        let matches = ids.filter { $0.hex.hasPrefix(prefix.lowercased()) }
        guard matches.count == 1, let key = matches.first else {
            throw RepositoryError(.invalidArgument, matches.isEmpty ? "no key matches \(prefix)" : "key prefix \(prefix) is ambiguous")
        }
        guard key != openedKey else {
            throw RepositoryError(.invalidArgument, "refusing to remove the key in use; open the repository with another password first")
        }
        do {
            try store.delete(ObjectKeys.key(key))
        } catch {
            throw RepositoryError.wrap(error, context: "removing key \(key.shortHex)")
        }
        return key
    }
}
