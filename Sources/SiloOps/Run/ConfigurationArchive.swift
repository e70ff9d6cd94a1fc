import Foundation
import SiloConfig
import SiloEngine
import SiloFormat
import SiloRepository

/// The configuration a run followed, secrets removed, and the run history, saved into the
/// repository as a snapshot of their own (tag `silo-config`), so that a bare machine with only
/// the repository and its password can start with `silo config recover -r REPO`.
///
/// A snapshot, not a new kind of object: it is encrypted, deduplicated (an unchanged
/// configuration costs nothing), copied off-site with the rest, kept by the retention policy
/// like any series, and the repository format does not change (docs/FORMAT.md §14 names the
/// paths).
public enum ConfigurationArchive {
    public static let seriesTag = SnapshotSelector.configurationTag
    public static let configurationPath = "/silo/silo.yaml"
    public static let historyPath = "/silo/history.sqlite"
    /// How old the saved copy of an unchanged configuration may grow before a run saves it
    /// (and the run history beside it) again.
    public static let refreshInterval: TimeInterval = 24 * 3600

    /// What identifies a configuration's saved text: SHA-256 of it, secrets removed.
    public static func digest(of configuration: Configuration) -> String {
        Crypto.sha256(Data(text(of: configuration).utf8)).hex
    }

    private static func text(of configuration: Configuration) -> String {
        header(ConfigurationIdentity.key(for: configuration.file)) + configuration.removingSecrets().yaml(masked: false)
    }

    /// Saves `configuration` (its secrets removed) and a consistent copy of `history`.
    public static func save(_ configuration: Configuration, history: RunHistory, run: Int64, into repository: Repository,
                            host: String, time: Date?) throws -> SnapshotID {
        let text = text(of: configuration)
        let historyCopy = try history.consistentCopy(excluding: run)
        var options = BackupOptions(paths: [], host: host)
        options.streams = [DataStreamSource(path: configurationPath) { Data(text.utf8) },
                           DataStreamSource(path: historyPath) { historyCopy }]
        options.tags = [seriesTag]
        options.time = time
        options.countTotals = false
        return try Archiver(repository: repository, options: options).run().id
    }

    private static func header(_ file: String) -> String {
        """
        # Saved by silo run from \(file), secrets removed: give the repository's password
        # (password_file or password_command) and any database password again before using it.

        """
    }

    /// The newest saved configuration's text (of `host`, else of any host), and the snapshot
    /// it came from.
    public static func latest(in repository: Repository, host: String?) throws -> (id: SnapshotID, snapshot: Snapshot, text: String) {
        let saved = try repository.snapshots().filter { $0.snapshot.tags.contains(seriesTag) }
        let mine = host.map { name in saved.filter { $0.snapshot.host == name } } ?? []
        guard let newest = (mine.isEmpty ? saved : mine).max(by: { ($0.snapshot.time, $0.id) < ($1.snapshot.time, $1.id) }) else {
            throw RepositoryError(.notFound, "no saved configuration in \(repository.store.location): `silo run` saves one at every run")
        }
        return (newest.id, newest.snapshot, String(decoding: try file(configurationPath, of: newest.snapshot, in: repository), as: UTF8.self))
    }

    /// The content of one saved file.
    public static func file(_ path: String, of snapshot: Snapshot, in repository: Repository) throws -> Data {
        guard let node = try TreeWalker(repository: repository).node(at: Paths.absolute(path), root: snapshot.tree), node.type == .file else {
            throw RepositoryError(.notFound, "\(path) is not in the saved configuration's snapshot")
        }
        return try ContentStreamer.data(node, from: repository)
    }
}
