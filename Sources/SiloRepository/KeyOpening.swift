import Foundation
import SiloFormat
import SiloStorage

extension Repository {
    /// A key file's content, when it hashes to its name (FORMAT.md §10, invariant 4) and parses;
    /// nil when it is damaged. Opening, `key list` and `check` judge key files by this alone.
    public static func intactKeyFile(_ data: Data, id: KeyID) -> KeyFile? {
        guard Crypto.sha256(data) == id.digest else { return nil }
        return try? KeyFile.decode(data)
    }

    /// The master keys one key file gave, and the key files found damaged on the way.
    struct OpenedKey {
        let keys: MasterKeys
        let id: KeyID
        let findings: [RepositoryFinding]
    }

    /// Tries each key file on its own: one planted or damaged key file never locks out the
    /// others. A key file that does not hash to its name or does not parse is damaged, not a
    /// wrong password: when no key opens and none could even be tried, that is what is said
    /// (an integrity error), so nobody hunts for a password that was right.
    static func openKey(store: ObjectStore, password: Data) throws -> OpenedKey {
        var damaged: [RepositoryFinding] = []
        var notTried: [String] = []
        var rejected = 0
        do {
            for key in try store.list(prefix: ObjectKeys.keysPrefix).sorted() {
                guard let id = ObjectKeys.id(from: key, as: KeyID.self) else { continue }
                let data = try store.get(key)
                guard let file = intactKeyFile(data, id: id) else {
                    damaged.append(RepositoryFinding(kind: .keyFile, key: key, message: "key file \(id.shortHex) (\(key)) is damaged: its content does not match its name"))
                    continue
                }
                if let problem = file.parameterProblem {
                    notTried.append("key file \(id.shortHex) was not tried: it \(problem)")
                    continue
                }
                do {
                    if let keys = try file.open(password: password) {
                        return OpenedKey(keys: keys, id: id, findings: damaged)
                    }
                    rejected += 1
                } catch {
                    notTried.append("key file \(id.shortHex) could not be used: \(error)")
                }
            }
        } catch let error as StorageError where error.code == .notFound {
            // A key file removed since the listing: the others were tried.
        } catch {
            throw RepositoryError.wrap(error, context: "reading keys")
        }
        let details = (damaged.map(\.message) + notTried)
        if rejected == 0 && !damaged.isEmpty {
            throw RepositoryError(.integrity, (["no key file of \(store.location) can be used"] + details).joined(separator: "; "))
        }
        throw RepositoryError(.wrongPassword, (["wrong password: no key of \(store.location) opens with it"] + details).joined(separator: "; "))
    }
}
