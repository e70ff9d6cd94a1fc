import Foundation

/// File names and link targets are bytes on Linux, not necessarily UTF-8. In JSON they are a
/// plain string when the bytes are valid UTF-8 and base64 under a `_b64` key otherwise.
public typealias ByteString = [UInt8]

extension ByteString {
    public init(_ string: String) { self = Array(string.utf8) }
    /// For display only: invalid UTF-8 is shown with replacement characters.
    public var displayString: String { String(decoding: self, as: UTF8.self) }
    var validUTF8: String? { String(validating: self, as: UTF8.self) }
}

public enum NodeType: String, Codable, Sendable {
    case file, dir, symlink, fifo, chardev, blockdev, socket
}

public struct ExtendedAttribute: Codable, Sendable, Equatable {
    public var name: String
    public var value: Data
    public init(name: String, value: Data) {
        self.name = name
        self.value = value
    }
}

/// One entry of a directory listing with all the metadata a restore needs.
public struct Node: Codable, Sendable, Equatable {
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

    enum CodingKeys: String, CodingKey {
        case name, name_b64, type, mode, uid, gid, user, group, mtime, atime, ctime, inode, device, links, rdev, size
        case content, subtree, link_target, link_target_b64, xattrs
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try Node.decodeBytes(c, plain: .name, base64: .name_b64) ?? []
        type = try c.decode(NodeType.self, forKey: .type)
        mode = try c.decode(UInt32.self, forKey: .mode)
        uid = try c.decode(UInt32.self, forKey: .uid)
        gid = try c.decode(UInt32.self, forKey: .gid)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        group = try c.decodeIfPresent(String.self, forKey: .group)
        mtime = try c.decode(Int64.self, forKey: .mtime)
        atime = try c.decode(Int64.self, forKey: .atime)
        ctime = try c.decode(Int64.self, forKey: .ctime)
        inode = try c.decode(UInt64.self, forKey: .inode)
        device = try c.decode(UInt64.self, forKey: .device)
        links = try c.decode(UInt64.self, forKey: .links)
        rdev = try c.decodeIfPresent(UInt64.self, forKey: .rdev)
        size = try c.decodeIfPresent(UInt64.self, forKey: .size)
        content = try c.decodeIfPresent([ChunkID].self, forKey: .content)
        subtree = try c.decodeIfPresent(ChunkID.self, forKey: .subtree)
        linkTarget = try Node.decodeBytes(c, plain: .link_target, base64: .link_target_b64)
        xattrs = try c.decodeIfPresent([ExtendedAttribute].self, forKey: .xattrs)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try Node.encodeBytes(name, &c, plain: .name, base64: .name_b64)
        try c.encode(type, forKey: .type)
        try c.encode(mode, forKey: .mode)
        try c.encode(uid, forKey: .uid)
        try c.encode(gid, forKey: .gid)
        try c.encodeIfPresent(user, forKey: .user)
        try c.encodeIfPresent(group, forKey: .group)
        try c.encode(mtime, forKey: .mtime)
        try c.encode(atime, forKey: .atime)
        try c.encode(ctime, forKey: .ctime)
        try c.encode(inode, forKey: .inode)
        try c.encode(device, forKey: .device)
        try c.encode(links, forKey: .links)
        try c.encodeIfPresent(rdev, forKey: .rdev)
        try c.encodeIfPresent(size, forKey: .size)
        try c.encodeIfPresent(content, forKey: .content)
        try c.encodeIfPresent(subtree, forKey: .subtree)
        if let linkTarget { try Node.encodeBytes(linkTarget, &c, plain: .link_target, base64: .link_target_b64) }
        try c.encodeIfPresent(xattrs, forKey: .xattrs)
    }

    private static func decodeBytes(_ c: KeyedDecodingContainer<CodingKeys>, plain: CodingKeys, base64: CodingKeys) throws -> ByteString? {
        if let s = try c.decodeIfPresent(String.self, forKey: plain) { return ByteString(s) }
        if let d = try c.decodeIfPresent(Data.self, forKey: base64) { return ByteString(d) }
        return nil
    }

    private static func encodeBytes(_ bytes: ByteString, _ c: inout KeyedEncodingContainer<CodingKeys>, plain: CodingKeys, base64: CodingKeys) throws {
        if let s = bytes.validUTF8 { try c.encode(s, forKey: plain) } else { try c.encode(Data(bytes), forKey: base64) }
    }
}

/// A directory listing, stored as a blob of type `.tree`; nodes sorted by name bytes so that an
/// unchanged directory encodes to the same bytes and deduplicates.
public struct Tree: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public var version: Int
    public var nodes: [Node]

    public init(nodes: [Node]) {
        self.version = Tree.currentVersion
        self.nodes = nodes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try! encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> Tree {
        let tree: Tree
        do {
            tree = try JSONDecoder().decode(Tree.self, from: data)
        } catch {
            throw FormatError(.malformed, "tree does not parse: \(error)")
        }
        guard tree.version == currentVersion else {
            throw FormatError(.unsupportedVersion, "tree version \(tree.version) is not supported")
        }
        return tree
    }

    public func node(named name: ByteString) -> Node? {
        nodes.first { $0.name == name }
    }
}
