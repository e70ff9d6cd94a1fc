import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest

/// Snapshots far deeper than a thread's stack allows recursion (a debug build overflows its
/// 8 MiB main stack near 4,000 levels): every walk of the engine must get through them.
final class DeepTreeTests: XCTestCase {
    static let depth = 20_000

    /// A snapshot of one file at the bottom of `depth` nested directories `/d/d/…/d/file`.
    static func deepSnapshot(_ repository: Repository, depth: Int, content: String) throws -> (id: SnapshotID, snapshot: Snapshot) {
        let builder = try SnapshotBuilder(repository: repository)
        defer { builder.release() }
        let chunk = try builder.storeChunk(Data(content.utf8))
        var file = Node(name: ByteString("file"), type: .file)
        file.content = [chunk]
        file.size = UInt64(content.utf8.count)
        var tree = try builder.storeTree(Tree(nodes: [file]))
        for _ in 0..<depth {
            var directory = Node(name: ByteString("d"), type: .dir, mode: 0o755)
            directory.subtree = tree
            tree = try builder.storeTree(Tree(nodes: [directory]))
        }
        let snapshot = Snapshot(time: 1, host: "deep", username: "test", tags: [], paths: ["/d"], tree: tree, parent: nil,
                                program: "test", summary: SnapshotSummary())
        let id = try builder.commit(snapshot)
        return (id, snapshot)
    }

    static var deepFilePath: String { String(repeating: "/d", count: depth) + "/file" }

    func testWalkReachesTheBottom() throws {
        let scratch = try Scratch()
        let repository = try scratch.initRepository()
        let (_, snapshot) = try Self.deepSnapshot(repository, depth: Self.depth, content: "bottom")
        var count = 0
        var last: ByteString = []
        try TreeWalker(repository: repository).walk(snapshot.tree) { path, _ in
            count += 1
            last = path
            return true
        }
        XCTAssertEqual(count, Self.depth + 1)
        XCTAssertEqual(last.displayString, Self.deepFilePath)
    }

    func testDiffFindsTheChangeAtTheBottom() throws {
        let scratch = try Scratch()
        let repository = try scratch.initRepository()
        let (_, old) = try Self.deepSnapshot(repository, depth: Self.depth, content: "before")
        let (_, new) = try Self.deepSnapshot(repository, depth: Self.depth, content: "after")
        let changes = try SnapshotDiff(repository: repository).changes(from: old.tree, to: new.tree)
        XCTAssertEqual(changes.map { "\($0.kind) \($0.path)" }, ["M " + Self.deepFilePath])
    }

    func testCheckReadsEveryTree() throws {
        let scratch = try Scratch()
        let repository = try scratch.initRepository()
        _ = try Self.deepSnapshot(repository, depth: Self.depth, content: "bottom")
        let report = try Checker(repository: repository, options: CheckOptions()).run()
        XCTAssertTrue(report.isClean, "\(report.errors)")
        XCTAssertEqual(report.trees, Self.depth + 1)
    }

    func testCopyTranslatesEveryTree() throws {
        let scratch = try Scratch()
        let source = try scratch.initRepository()
        let (id, snapshot) = try Self.deepSnapshot(source, depth: Self.depth, content: "bottom")
        let destination = try makeTestRepository(store: LocalObjectStore(root: scratch.path("destination")), password: Data("other".utf8),
                                                 cacheRoot: scratch.path("destination-cache"))
        let copier = try SnapshotCopier(from: source, to: destination)
        let copiedID = try copier.copy(id, snapshot)
        copier.release()
        let copied = try destination.loadSnapshot(copiedID)
        var last: ByteString = []
        try TreeWalker(repository: destination).walk(copied.tree) { path, _ in
            last = path
            return true
        }
        XCTAssertEqual(last.displayString, Self.deepFilePath)
    }

    func testPruneMarksEveryTree() throws {
        let scratch = try Scratch()
        let repository = try scratch.initRepository()
        _ = try Self.deepSnapshot(repository, depth: Self.depth, content: "kept")
        var options = PruneOptions()
        options.grace = 0
        let report = try Pruner(repository: repository, options: options).run()
        XCTAssertEqual(report.liveChunks, Self.depth + 2, "every tree and the file's chunk are live")
        XCTAssertEqual(report.packsMarked, 0)
    }

    /// A restore of a tree deeper than any path Linux can hold ends with problems or an
    /// error, never a crash, and writes nothing outside its target.
    func testRestoreOfATooDeepTreeDoesNotCrash() throws {
        let scratch = try Scratch()
        let repository = try scratch.initRepository()
        let (_, snapshot) = try Self.deepSnapshot(repository, depth: Self.depth, content: "bottom")
        let summary = try? scratch.restore(repository, snapshot, to: scratch.path("out"))
        if let summary { XCTAssertFalse(summary.problems.isEmpty, "the bottom cannot be reached by path") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.root).sorted(), ["cache", "out", "repo"])
    }
}
