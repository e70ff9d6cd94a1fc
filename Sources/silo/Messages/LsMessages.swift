import SiloFormat

/// One entry of `ls`.
struct NodeMessage: JSONMessage {
    static let messageType = "node"
    static let commands = ["ls"]
    static var sample: Self {
        Self(path: "/etc/hosts", name: "hosts", type: "file", mode: 0o644, uid: 0, gid: 0, user: "root", group: "root", size: 220,
             mtimeNs: 1, linkTarget: "/etc/hosts.real")
    }

    let path: String
    let name: String
    let type: String
    /// Permission bits with setuid, setgid and sticky (07777), as a decimal integer: 420 is 0644.
    let mode: UInt32
    let uid: UInt32
    let gid: UInt32
    let user: String?
    let group: String?
    let size: UInt64?
    let mtimeNs: Int64
    let linkTarget: String?
}

extension NodeMessage {
    init(_ node: Node, path: ByteString) {
        self.init(path: path.displayString, name: node.name.displayString, type: node.type.rawValue, mode: node.mode, uid: node.uid,
                  gid: node.gid, user: node.user, group: node.group, size: node.size, mtimeNs: node.mtime,
                  linkTarget: node.linkTarget?.displayString)
    }
}
