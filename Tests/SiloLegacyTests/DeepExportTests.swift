import Foundation
import SiloEngine
import SiloFormat
import SiloRepository
import SiloStorage
import SiloTestSupport
import XCTest
@testable import SiloLegacy

/// An export of a snapshot deeper than a thread's stack allows recursion (a 5,000-level
/// snapshot crashed `silo export`): every member arrives, directories before their content.
final class DeepExportTests: XCTestCase {
    func testExportOfADeepSnapshot() throws {
        let depth = 6_000
        let root = NSTemporaryDirectory() + "silo-deep-export-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repository = try makeTestRepository(store: LocalObjectStore(root: root + "/repo"), password: nil, cacheRoot: root + "/cache")

        // `/d/d/…/d/file`, stored bottom-up.
        let builder = try SnapshotBuilder(repository: repository)
        var file = Node(name: ByteString("file"), type: .file)
        file.content = [try builder.storeChunk(Data("bottom".utf8))]
        file.size = 6
        var tree = try builder.storeTree(Tree(nodes: [file]))
        for _ in 0..<depth {
            var directory = Node(name: ByteString("d"), type: .dir, mode: 0o755)
            directory.subtree = tree
            tree = try builder.storeTree(Tree(nodes: [directory]))
        }
        let snapshot = Snapshot(time: 1, host: "deep", username: "test", tags: [], paths: ["/d"], tree: tree, parent: nil,
                                program: "test", summary: SnapshotSummary())
        _ = try builder.commit(snapshot)
        builder.release()

        let sink = MemorySink()
        let summary = try SnapshotExporter(repository: repository, snapshot: snapshot, options: ExportOptions()).run(to: sink)
        XCTAssertEqual(summary.members, depth + 1)
        XCTAssertEqual(summary.contentBytes, 6)

        let reader = TarReader(MemoryReader(sink.data, chunk: 1 << 20), name: "deep.tar")
        var directories = 0
        var last: TarEntry?
        while let entry = try reader.next() {
            if entry.kind == .directory {
                directories += 1
                // Each directory one level below the one before: `d/`, `d/d/`, …
                XCTAssertEqual(entry.path.count, directories * 2)
                if entry.path.count != directories * 2 { break }
            }
            last = entry
        }
        XCTAssertEqual(directories, depth)
        XCTAssertTrue(last?.displayPath == String(repeating: "d/", count: depth) + "file", "the deepest member is the file, last")
        XCTAssertEqual(last?.kind, .file)
    }
}
