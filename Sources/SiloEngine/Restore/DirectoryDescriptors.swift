import Foundation

/// Descriptors of the target's directories for one thread, each opened (and checked) on
/// first use and kept for the next files of the same directory: the files of one pack span
/// mostly share a few directories. At most `capacity` stay open; the least recently used is
/// closed first, so the two most recent (a hard link's two parents) are always open.
final class DirectoryDescriptors {
    private let directories: [TargetDirectory]
    private let capacity: Int
    /// Open descriptors by directory index, least recently used first.
    private var open: [(index: Int, fd: Int32)] = []

    init(_ directories: [TargetDirectory], capacity: Int = 32) {
        self.directories = directories
        self.capacity = max(2, capacity)
    }

    deinit {
        for entry in open { close(entry.fd) }
    }

    /// A descriptor of directory `index`, valid until `capacity` other directories are used.
    func descriptor(_ index: Int) throws(TargetError) -> Int32 {
        if let position = open.lastIndex(where: { $0.index == index }) {
            let entry = open.remove(at: position)
            open.append(entry)
            return entry.fd
        }
        let fd = try directories[index].open()
        if open.count >= capacity { close(open.removeFirst().fd) }
        open.append((index, fd))
        return fd
    }
}
