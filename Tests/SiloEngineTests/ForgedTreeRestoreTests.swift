import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloTestSupport
import XCTest

/// A repository is data from elsewhere: a tree whose names climb out of the directory they
/// describe (FORMAT.md §9) is damaged, and a restore of it fails as an integrity error
/// without writing anything outside its target.
final class ForgedTreeRestoreTests: XCTestCase {
    /// Stores a snapshot whose root listing `root` makes (the builder stores subtrees, the
    /// chunk is a file's content), as a forger with the repository's keys could: the encoder
    /// does not check names.
    private func forge(_ repository: Repository,
                       root: (SnapshotBuilder, _ chunk: ChunkID, _ size: UInt64) throws -> [Node]) throws -> Snapshot {
        let builder = try SnapshotBuilder(repository: repository)
        defer { builder.release() }
        let content = Data("escaped\n".utf8)
        let chunk = try builder.storeChunk(content)
        let tree = try builder.storeTree(Tree(nodes: try root(builder, chunk, UInt64(content.count))))
        let snapshot = Snapshot(time: 0, host: "forger", username: "root", tags: [], paths: ["/"], tree: tree, parent: nil,
                                program: "test", summary: SnapshotSummary())
        _ = try builder.commit(snapshot)
        return snapshot
    }

    private static func file(_ name: String, _ chunk: ChunkID, _ size: UInt64) -> Node {
        var node = Node(name: ByteString(name), type: .file, mode: 0o644)
        node.content = [chunk]
        node.size = size
        return node
    }

    /// Restored into `restores/target`, each forged name would land in `restores`.
    func testNamesClimbingOutOfTheTargetAreAnIntegrityErrorAndWriteNothingOutside() throws {
        let s = try Scratch()
        let repository = try s.initRepository()
        let forged: [(String, Snapshot)] = [
            ("a file named ../ESCAPED.txt", try forge(repository) { _, chunk, size in
                [Self.file("../ESCAPED.txt", chunk, size), Self.file("ok.txt", chunk, size)]
            }),
            ("a directory named ..", try forge(repository) { builder, chunk, size in
                var up = Node(name: ByteString(".."), type: .dir, mode: 0o777)
                up.subtree = try builder.storeTree(Tree(nodes: [Self.file("ESCAPED.txt", chunk, size)]))
                return [up]
            }),
        ]
        for (what, snapshot) in forged {
            let target = s.path("restores/target")
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            XCTAssertEqual(chmod(s.path("restores"), 0o700), 0)
            XCTAssertThrowsError(try s.restore(repository, snapshot, to: target), what) { error in
                XCTAssertEqual((error as? RepositoryError)?.code, .integrity, "\(what): \(error)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: s.path("restores")), ["target"],
                           "\(what): written outside the target")
            var after = stat()
            XCTAssertEqual(stat(s.path("restores"), &after), 0)
            XCTAssertEqual(after.st_mode & 0o7777, 0o700, "\(what): the mode of the target's parent changed")
            try FileManager.default.removeItem(atPath: s.path("restores"))
        }
    }
}
