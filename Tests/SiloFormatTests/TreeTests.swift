import Foundation
import SiloFormat
import XCTest

/// Trees are a binary structure (docs/FORMAT.md §9): "STRE", version, varint count, nodes.
/// `TreeCodingTests` covers the basic round trip; these pin down names, order and the layout.
final class TreeTests: XCTestCase {
    let chunkA = ChunkID(Digest32(data: Data(repeating: 0xAA, count: 32))!)
    let chunkB = ChunkID(Digest32(data: Data(repeating: 0xBB, count: 32))!)

    func testRoundTripOfEveryNodeKindAndOptionalField() throws {
        var file = Node(name: ByteString("report.pdf"), type: .file, mode: 0o7777, uid: .max, gid: 100,
                        mtime: .max, atime: .min, ctime: -1, inode: .max, device: 2049, links: 3)
        file.user = "élodie"
        file.group = ""
        file.size = 0
        file.content = [chunkA, chunkB, chunkA]
        file.xattrs = [ExtendedAttribute(name: "user.mime", value: Data("application/pdf".utf8)),
                       ExtendedAttribute(name: "security.capability", value: Data([0, 0xFF, 0x80, 1])),
                       ExtendedAttribute(name: "user.empty", value: Data())]
        var empty = Node(name: ByteString("empty"), type: .file)
        empty.content = []
        empty.xattrs = []
        var dir = Node(name: ByteString("etc"), type: .dir, mode: 0o755)
        dir.subtree = chunkB
        var link = Node(name: ByteString("current"), type: .symlink, mode: 0o777)
        link.linkTarget = ByteString("releases/2025-01-29")
        var emptyLink = Node(name: ByteString("dangling"), type: .symlink)
        emptyLink.linkTarget = []
        var chardev = Node(name: ByteString("null"), type: .chardev, mode: 0o666)
        chardev.rdev = 0x0103
        var blockdev = Node(name: ByteString("sda"), type: .blockdev)
        blockdev.rdev = .max
        let nodes = [file, empty, dir, link, emptyLink, chardev, blockdev,
                     Node(name: ByteString("pipe"), type: .fifo), Node(name: ByteString("sock"), type: .socket)]
        let decoded = try Tree.decode(Tree(nodes: nodes).encoded())
        XCTAssertEqual(decoded.nodes.count, nodes.count)
        for node in nodes {
            XCTAssertEqual(decoded.node(named: node.name), node, node.name.displayString)
        }
        // nil and empty are different things and both survive.
        XCTAssertEqual(decoded.node(named: ByteString("empty"))?.content, [])
        XCTAssertNil(decoded.node(named: ByteString("pipe"))?.content)
        XCTAssertEqual(decoded.node(named: ByteString("dangling"))?.linkTarget, [])
        XCTAssertNil(decoded.node(named: ByteString("etc"))?.linkTarget)
    }

    func testNonUTF8AndNewlineNamesRoundTripAsBytes() throws {
        let names: [ByteString] = [
            [0x66, 0x6F, 0xFF, 0xFE, 0x2E, 0x74, 0x78, 0x74],  // "fo\xff\xfe.txt"
            ByteString("line\nbreak"),
            ByteString("tab\there"),
            [0xC3, 0x28],                                      // invalid 2-byte sequence
            ByteString("émoji 🎉"),
            ByteString("..."), ByteString(".hidden"), ByteString("a.."),  // dots, but not `.` or `..`
            ByteString("back\\slash"),
        ]
        var link = Node(name: ByteString("link"), type: .symlink)
        link.linkTarget = [0x2F, 0xC3, 0x28, 0x0A]
        let tree = Tree(nodes: names.map { Node(name: $0, type: .file) } + [link])
        let decoded = try Tree.decode(tree.encoded())
        XCTAssertEqual(Set(decoded.nodes.map(\.name)), Set(names + [ByteString("link")]))
        for name in names {
            XCTAssertEqual(decoded.node(named: name)?.name, name, name.displayString)
        }
        XCTAssertEqual(decoded.node(named: ByteString("link"))?.linkTarget, [0x2F, 0xC3, 0x28, 0x0A])
        XCTAssertEqual(ByteString([0x66, 0x6F, 0xFF, 0xFE]).displayString, "fo\u{FFFD}\u{FFFD}")
    }

    func testNodesAreSortedByNameBytes() throws {
        let names: [ByteString] = [
            ByteString("b"), ByteString("a"), ByteString("B"), ByteString("aa"), [0xFF], ByteString("é"),  // U+00E9 = C3 A9
            ByteString("e\u{301}"),                                                                          // e + combining acute = 65 CC 81
            ByteString("10"), ByteString("9"), ByteString("A"),
        ]
        let tree = Tree(nodes: names.map { Node(name: $0, type: .file) })
        let expected: [ByteString] = [
            [0x31, 0x30], [0x39], [0x41], [0x42], [0x61], [0x61, 0x61], [0x62], [0x65, 0xCC, 0x81], [0xC3, 0xA9], [0xFF],
        ]
        XCTAssertEqual(tree.nodes.map(\.name), expected)
        XCTAssertEqual(try Tree.decode(tree.encoded()).nodes.map(\.name), expected)
        // Names Swift's String treats as equal (canonically equivalent) stay two distinct nodes.
        XCTAssertEqual(tree.node(named: ByteString("é"))?.name, [0xC3, 0xA9])
        XCTAssertEqual(tree.node(named: ByteString("e\u{301}"))?.name, [0x65, 0xCC, 0x81])
        for name in expected { XCTAssertEqual(tree.node(named: name)?.name, name, "binary search finds \(name)") }
        XCTAssertNil(tree.node(named: ByteString("ab")))
        XCTAssertNil(tree.node(named: [0xFF, 0x00]))
    }

    func testEncodingIsDeterministic() {
        let nodes = (0..<50).map { Node(name: ByteString("file\($0)"), type: .file, mode: UInt32(0o600 + $0)) }
        let a = Tree(nodes: nodes).encoded()
        XCTAssertEqual(a, Tree(nodes: nodes.reversed()).encoded())
        XCTAssertEqual(a, Tree(nodes: nodes.shuffled()).encoded())
        XCTAssertNotEqual(a, Tree(nodes: Array(nodes.dropLast())).encoded())
    }

    /// A tree written by hand from the documented layout, so that the decoder is checked
    /// against the format and not only against the encoder.
    func testDecodesAHandWrittenTree() throws {
        var bytes: [UInt8] = Array("STRE".utf8) + [1]  // magic, version
        bytes += [2]                                    // two nodes
        // Node 1: name "a\xff", type 2 (symlink), flags 0x41 (user, link target), mode 0o777 = 511 = varint ff 03,
        // uid 1000 = e8 07, gid 0, user "bob", mtime -1 (zigzag 1), atime 1 (zigzag 2), ctime 64 (zigzag 128 = 80 01),
        // inode 5, device 6, links 1, link target "x".
        bytes += [2, 0x61, 0xFF, 2, 0x41, 0xFF, 0x03, 0xE8, 0x07, 0, 3] + Array("bob".utf8)
        bytes += [1, 2, 0x80, 0x01, 5, 6, 1, 1, 0x78]
        // Node 2: name "b", type 0 (file), flags 0x18 (size, content), mode 0o644 = 420 = a4 03, uid 0, gid 0,
        // times 0, inode 0, device 0, links 1, size 300 = ac 02, one chunk ID.
        bytes += [1, 0x62, 0, 0x18, 0xA4, 0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0xAC, 0x02, 1] + Array(chunkA.digest.data)
        let tree = try Tree.decode(Data(bytes))
        XCTAssertEqual(tree.nodes.count, 2)
        let link = try XCTUnwrap(tree.node(named: [0x61, 0xFF]))
        XCTAssertEqual(link.type, .symlink)
        XCTAssertEqual(link.mode, 0o777)
        XCTAssertEqual(link.uid, 1000)
        XCTAssertEqual(link.user, "bob")
        XCTAssertNil(link.group)
        XCTAssertEqual([link.mtime, link.atime, link.ctime], [-1, 1, 64])
        XCTAssertEqual([link.inode, link.device, link.links], [5, 6, 1])
        XCTAssertEqual(link.linkTarget, [0x78])
        let file = try XCTUnwrap(tree.node(named: [0x62]))
        XCTAssertEqual(file.type, .file)
        XCTAssertEqual(file.mode, 0o644)
        XCTAssertEqual(file.size, 300)
        XCTAssertEqual(file.content, [chunkA])
        XCTAssertNil(file.subtree)
        // And the encoder writes exactly these bytes for the same nodes.
        XCTAssertEqual(Array(Tree(nodes: [file, link]).encoded()), bytes)
    }

    /// A name is one path component (FORMAT.md §9): a restore joins it to its target, so a
    /// stored `..` or a slash would write outside the target. The encoder does not check
    /// names (the backup reads them from directories), hence trees encoded here can hold them.
    func testNamesThatAreNotOnePathComponentAreRejected() throws {
        let bad: [ByteString] = [[], ByteString("."), ByteString(".."), ByteString("../../ESCAPED.txt"), ByteString("a/b"),
                                 ByteString("/"), ByteString("dir/"), ByteString("nul\u{0}inside"), [0]]
        for name in bad {
            let tree = Tree(nodes: [Node(name: ByteString("a"), type: .file), Node(name: name, type: .dir),
                                    Node(name: ByteString("z"), type: .file)])
            assertFormatError(.malformed, "name \(Array(name))") { try Tree.decode(tree.encoded()) }
        }
    }

    /// Nodes are in strictly increasing byte order of their names, as the encoder writes them;
    /// a reader's binary search (and a restore's one entry per name) relies on it.
    func testNamesOutOfOrderOrTwiceAreRejected() throws {
        let header: [UInt8] = Array("STRE".utf8) + [1]
        func node(_ name: String) -> [UInt8] { [UInt8(name.utf8.count)] + Array(name.utf8) + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }
        XCTAssertEqual(try Tree.decode(Data(header + [2] + node("a") + node("b"))).nodes.map(\.name.displayString), ["a", "b"])
        assertFormatError(.malformed, "b before a") { try Tree.decode(Data(header + [2] + node("b") + node("a"))) }
        assertFormatError(.malformed, "a twice") { try Tree.decode(Data(header + [2] + node("a") + node("a"))) }
        assertFormatError(.malformed, "ab before a") { try Tree.decode(Data(header + [2] + node("ab") + node("a"))) }
        // Byte order, not String order: "é" (C3 A9) sorts after "z" (7A).
        XCTAssertNoThrow(try Tree.decode(Data(header + [2] + node("z") + node("é"))))
        assertFormatError(.malformed, "é before z") { try Tree.decode(Data(header + [2] + node("é") + node("z"))) }
        let twice = Tree(nodes: [Node(name: ByteString("same"), type: .file), Node(name: ByteString("same"), type: .dir)])
        assertFormatError(.malformed, "a tree encoded with one name twice") { try Tree.decode(twice.encoded()) }
    }

    func testMalformedTreesAreRejected() throws {
        let header: [UInt8] = Array("STRE".utf8) + [1]
        let minimalNode: [UInt8] = [1, 0x61, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        XCTAssertEqual(try Tree.decode(Data(header + [1] + minimalNode)).nodes.map(\.name), [[0x61]], "the base case parses")
        assertFormatError(.malformed, "empty") { try Tree.decode(Data()) }
        assertFormatError(.malformed, "wrong magic") { try Tree.decode(Data(Array("JSON".utf8) + [1, 1] + minimalNode)) }
        assertFormatError(.malformed, "JSON tree of the old format") { try Tree.decode(Data(#"{"version": 1, "nodes": []}"#.utf8)) }
        assertFormatError(.unsupportedVersion, "version 2") { try Tree.decode(Data(Array("STRE".utf8) + [2, 0])) }
        assertFormatError(.malformed, "count larger than the data") { try Tree.decode(Data(header + [0xFF, 0xFF, 0x03] + minimalNode)) }
        var badType = minimalNode
        badType[2] = 7
        assertFormatError(.malformed, "unknown node type") { try Tree.decode(Data(header + [1] + badType)) }
        assertFormatError(.malformed, "name longer than the data") { try Tree.decode(Data(header + [1, 0x7F, 0x61])) }
        assertFormatError(.malformed, "varint too long") { try Tree.decode(Data(header + Array(repeating: 0xFF, count: 11) + [1])) }
        assertFormatError(.malformed, "content count larger than the data") {
            try Tree.decode(Data(header + [1, 1, 0x62, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5] + Array(repeating: 0, count: 32)))
        }
        assertFormatError(.malformed, "truncated digest") {
            try Tree.decode(Data(header + [1, 1, 0x62, 1, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 1] + Array(repeating: 0, count: 31)))
        }
        assertFormatError(.malformed, "trailing bytes") { try Tree.decode(Data(header + [1] + minimalNode + [0])) }
        assertFormatError(.malformed, "fewer nodes than counted") { try Tree.decode(Data(header + [2] + minimalNode)) }
    }
}
