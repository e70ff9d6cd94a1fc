import Foundation

/// File names and link targets are bytes on Linux, not necessarily UTF-8; they are kept as bytes.
public typealias ByteString = [UInt8]

extension ByteString {
    public init(_ string: String) { self = Array(string.utf8) }
    /// For display only: invalid UTF-8 is shown with replacement characters.
    public var displayString: String { String(decoding: self, as: UTF8.self) }
}

public enum NodeType: String, Sendable {
    case file, dir, symlink, fifo, chardev, blockdev, socket
}

public struct ExtendedAttribute: Sendable, Equatable {
    public var name: String
    public var value: Data
    public init(name: String, value: Data) {
        self.name = name
        self.value = value
    }
}

/// One entry of a directory listing with all the metadata a restore needs.
public struct Node: Sendable, Equatable {
    public var name: ByteString
    public var type: NodeType
    /// Permission bits including setuid, setgid and sticky (07777).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var user: String?
    public var group: String?
    /// Nanoseconds since the epoch.
    public var mtime: Int64
    public var atime: Int64
    public var ctime: Int64
    public var inode: UInt64
    public var device: UInt64
    public var links: UInt64
    /// Device number of a character or block device node.
    public var rdev: UInt64?
    public var size: UInt64?
    public var content: [ChunkID]?
    public var subtree: ChunkID?
    public var linkTarget: ByteString?
    public var xattrs: [ExtendedAttribute]?

    public init(name: ByteString, type: NodeType, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                mtime: Int64 = 0, atime: Int64 = 0, ctime: Int64 = 0, inode: UInt64 = 0, device: UInt64 = 0, links: UInt64 = 1) {
        self.name = name
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtime = mtime
        self.atime = atime
        self.ctime = ctime
        self.inode = inode
        self.device = device
        self.links = links
    }
}

/// A directory listing, stored as a blob of type `.tree`; nodes sorted by name bytes so that an
/// unchanged directory encodes to the same bytes and deduplicates.
///
/// Binary, not JSON: a no-change backup decodes the parent snapshot's trees and encodes new
/// ones for every directory, and Foundation's JSON coders made that most of its time.
/// Layout in docs/FORMAT.md §9.
public struct Tree: Sendable, Equatable {
    public static let currentVersion: UInt8 = 1
    static let magic: [UInt8] = Array("STRE".utf8)
    public var nodes: [Node]

    public init(nodes: [Node]) {
        self.nodes = nodes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    public func encoded() -> Data {
        var w = VarWriter()
        w.bytes.reserveCapacity(64 + nodes.count * 96)
        w.bytes += Tree.magic
        w.bytes.append(Tree.currentVersion)
        w.varint(UInt64(nodes.count))
        for node in nodes { node.encode(into: &w) }
        return Data(w.bytes)
    }

    public static func decode(_ data: Data) throws -> Tree {
        try data.withUnsafeBytes { raw in
            var r = VarReader(raw)
            guard raw.count >= 5, Array(raw.prefix(4)) == magic else { throw FormatError(.malformed, "tree: not a tree") }
            r.position = 4
            let version = try r.byte()
            guard version == currentVersion else { throw FormatError(.unsupportedVersion, "tree version \(version) is not supported") }
            let count = try r.count()
            var nodes: [Node] = []
            nodes.reserveCapacity(count)
            for _ in 0..<count {
                let node = try Node.decode(from: &r)
                try checkName(node.name)
                if let previous = nodes.last, !previous.name.lexicographicallyPrecedes(node.name) {
                    let relation = previous.name == node.name ? "is listed twice" : "comes after \(quoted(previous.name))"
                    throw FormatError(.malformed, "tree: node \(quoted(node.name)) \(relation); names must be unique and in byte order")
                }
                nodes.append(node)
            }
            guard r.position == raw.count else { throw FormatError(.malformed, "tree: trailing bytes") }
            var tree = Tree(nodes: [])
            tree.nodes = nodes
            return tree
        }
    }

    /// A name is one path component, because a restore joins it to the directory it writes
    /// into: an empty name, `.`, `..`, a slash or a NUL byte (which ends a C path) would lead
    /// elsewhere, outside the target among others. A tree holding one is damaged or forged.
    static func checkName(_ name: ByteString) throws {
        let invalid = name.isEmpty || name == [0x2E] || name == [0x2E, 0x2E] || name.contains(0x2F) || name.contains(0)
        if invalid {
            throw FormatError(.malformed, "tree: invalid node name \(quoted(name)) (a name must not be empty, . or .., nor hold / or NUL)")
        }
    }

    /// A name for an error message, quoted so that an empty name or spaces show.
    private static func quoted(_ name: ByteString) -> String { "\"\(name.displayString)\"" }

    /// Binary search: nodes are sorted by name.
    public func node(named name: ByteString) -> Node? {
        var low = 0, high = nodes.count
        while low < high {
            let mid = (low + high) / 2
            if nodes[mid].name == name { return nodes[mid] }
            if nodes[mid].name.lexicographicallyPrecedes(name) { low = mid + 1 } else { high = mid }
        }
        return nil
    }
}

extension Node {
    private struct Flags: OptionSet {
        let rawValue: UInt16
        static let user = Flags(rawValue: 1 << 0)
        static let group = Flags(rawValue: 1 << 1)
        static let rdev = Flags(rawValue: 1 << 2)
        static let size = Flags(rawValue: 1 << 3)
        static let content = Flags(rawValue: 1 << 4)
        static let subtree = Flags(rawValue: 1 << 5)
        static let linkTarget = Flags(rawValue: 1 << 6)
        static let xattrs = Flags(rawValue: 1 << 7)
    }

    private static let types: [NodeType] = [.file, .dir, .symlink, .fifo, .chardev, .blockdev, .socket]

    func encode(into w: inout VarWriter) {
        var flags: Flags = []
        if user != nil { flags.insert(.user) }
        if group != nil { flags.insert(.group) }
        if rdev != nil { flags.insert(.rdev) }
        if size != nil { flags.insert(.size) }
        if content != nil { flags.insert(.content) }
        if subtree != nil { flags.insert(.subtree) }
        if linkTarget != nil { flags.insert(.linkTarget) }
        if xattrs != nil { flags.insert(.xattrs) }
        w.data(name)
        w.bytes.append(UInt8(Node.types.firstIndex(of: type)!))
        w.varint(UInt64(flags.rawValue))
        w.varint(UInt64(mode))
        w.varint(UInt64(uid))
        w.varint(UInt64(gid))
        if let user { w.data(Array(user.utf8)) }
        if let group { w.data(Array(group.utf8)) }
        w.signed(mtime)
        w.signed(atime)
        w.signed(ctime)
        w.varint(inode)
        w.varint(device)
        w.varint(links)
        if let rdev { w.varint(rdev) }
        if let size { w.varint(size) }
        if let content {
            w.varint(UInt64(content.count))
            for id in content { w.digest(id.digest) }
        }
        if let subtree { w.digest(subtree.digest) }
        if let linkTarget { w.data(linkTarget) }
        if let xattrs {
            w.varint(UInt64(xattrs.count))
            for x in xattrs {
                w.data(Array(x.name.utf8))
                w.data(Array(x.value))
            }
        }
    }

    static func decode(from r: inout VarReader) throws -> Node {
        let name = try r.data()
        let typeIndex = Int(try r.byte())
        guard typeIndex < types.count else { throw FormatError(.malformed, "tree: unknown node type \(typeIndex)") }
        let flags = Flags(rawValue: UInt16(truncatingIfNeeded: try r.varint()))
        var node = Node(name: name, type: types[typeIndex])
        node.mode = UInt32(truncatingIfNeeded: try r.varint())
        node.uid = UInt32(truncatingIfNeeded: try r.varint())
        node.gid = UInt32(truncatingIfNeeded: try r.varint())
        if flags.contains(.user) { node.user = String(decoding: try r.data(), as: UTF8.self) }
        if flags.contains(.group) { node.group = String(decoding: try r.data(), as: UTF8.self) }
        node.mtime = try r.signed()
        node.atime = try r.signed()
        node.ctime = try r.signed()
        node.inode = try r.varint()
        node.device = try r.varint()
        node.links = try r.varint()
        if flags.contains(.rdev) { node.rdev = try r.varint() }
        if flags.contains(.size) { node.size = try r.varint() }
        if flags.contains(.content) {
            let count = try r.count(elementSize: 32)
            var ids: [ChunkID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(ChunkID(try r.digest())) }
            node.content = ids
        }
        if flags.contains(.subtree) { node.subtree = ChunkID(try r.digest()) }
        if flags.contains(.linkTarget) { node.linkTarget = try r.data() }
        if flags.contains(.xattrs) {
            let count = try r.count()
            var list: [ExtendedAttribute] = []
            for _ in 0..<count {
                let attributeName = String(decoding: try r.data(), as: UTF8.self)
                list.append(ExtendedAttribute(name: attributeName, value: Data(try r.data())))
            }
            node.xattrs = list
        }
        return node
    }
}

/// LEB128 varints and length-prefixed byte strings, for trees.
struct VarWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Zigzag, so that times before 1970 stay short.
    mutating func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }
    mutating func data(_ value: [UInt8]) {
        varint(UInt64(value.count))
        bytes += value
    }
    mutating func digest(_ d: Digest32) {
        for w in [d.w0, d.w1, d.w2, d.w3] { withUnsafeBytes(of: w.bigEndian) { bytes += $0 } }
    }
}

/// Bounds-checked reader: malformed input is an error, never a crash.
struct VarReader {
    let raw: UnsafeRawBufferPointer
    var position = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    mutating func byte() throws -> UInt8 {
        guard position < raw.count else { throw FormatError(.malformed, "tree is truncated") }
        defer { position += 1 }
        return raw[position]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw FormatError(.malformed, "tree: varint too long") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    mutating func signed() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// A count that cannot exceed what is left of the input.
    mutating func count(elementSize: Int = 1) throws -> Int {
        let v = try varint()
        guard v <= UInt64(raw.count - position) / UInt64(elementSize) else { throw FormatError(.malformed, "tree: count exceeds its data") }
        return Int(v)
    }

    mutating func data() throws -> [UInt8] {
        let n = try count()
        defer { position += n }
        return Array(raw[position..<position + n])
    }

    mutating func digest() throws -> Digest32 {
        guard raw.count - position >= 32 else { throw FormatError(.malformed, "tree is truncated") }
        defer { position += 32 }
        return Digest32(bytes: UnsafeRawBufferPointer(rebasing: raw[position..<position + 32]))
    }
}
