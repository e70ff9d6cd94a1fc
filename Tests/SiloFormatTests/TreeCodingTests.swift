import Foundation
import SiloFormat
import XCTest

final class TreeCodingTests: XCTestCase {
    func sampleNodes() -> [Node] {
        var file = Node(name: [0x66, 0xff, 0x0a, 0x6e], type: .file, mode: 0o4755, uid: 1000, gid: 100,
                        mtime: 1_700_000_000_123_456_789, atime: -5, ctime: 42, inode: 77, device: 2049, links: 2)
        file.user = "alice"
        file.group = "staff"
        file.size = 3_000_000_000_000
        file.content = [ChunkID(Crypto.sha256(Data("a".utf8))), ChunkID(Crypto.sha256(Data("b".utf8)))]
        file.xattrs = [ExtendedAttribute(name: "user.x", value: Data([0, 1, 2]))]
        var dir = Node(name: ByteString("dir"), type: .dir)
        dir.subtree = ChunkID(Crypto.sha256(Data("tree".utf8)))
        var link = Node(name: ByteString("link"), type: .symlink)
        link.linkTarget = [0x2f, 0xfe]
        var device = Node(name: ByteString("null"), type: .chardev)
        device.rdev = 259
        return [file, dir, link, device, Node(name: ByteString("fifo"), type: .fifo)]
    }

    func testRoundTripKeepsEveryField() throws {
        let tree = Tree(nodes: sampleNodes())
        let decoded = try Tree.decode(tree.encoded())
        XCTAssertEqual(decoded, tree)
        XCTAssertEqual(decoded.nodes.map(\.name), tree.nodes.map(\.name).sorted { $0.lexicographicallyPrecedes($1) })
        XCTAssertEqual(decoded.node(named: ByteString("link"))?.linkTarget, [0x2f, 0xfe])
        XCTAssertNil(decoded.node(named: ByteString("nope")))
    }

    func testEncodingIsDeterministicWhateverTheOrder() {
        XCTAssertEqual(Tree(nodes: sampleNodes()).encoded(), Tree(nodes: sampleNodes().reversed()).encoded())
    }

    func testMalformedTreesAreErrors() {
        let good = Tree(nodes: sampleNodes()).encoded()
        for cut in [0, 3, 5, 20, good.count / 2, good.count - 1] {
            XCTAssertThrowsError(try Tree.decode(good.prefix(cut)), "truncated at \(cut)")
        }
        var trailing = good
        trailing.append(0)
        XCTAssertThrowsError(try Tree.decode(trailing))
        var version = good
        version[4] = 9
        XCTAssertThrowsError(try Tree.decode(version)) { error in
            XCTAssertEqual((error as? FormatError)?.code, .unsupportedVersion)
        }
    }
}
