import CLinux
import Foundation
import SiloFormat
import SiloRepository
import SiloStorage

public struct RestoreOptions: Sendable {
    public var target: String
    /// Absolute paths inside the snapshot; empty restores everything.
    public var includes: [String] = []
    /// Patterns of paths left out (restic's, as for backup: a name, or a full path with `/`).
    public var excludes: [String] = []
    public var workers = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// Bytes of a pack read at once. By default 32 MiB (a whole pack: one request) on a remote
    /// store, where a request costs more than memory; 4 MiB on a local disk.
    public var readSpan: Int?

    public init(target: String) { self.target = target }
}

/// A file or directory that could not be restored exactly.
public struct RestoreProblem: Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    /// True when stored data failed verification: nothing unverified was written.
    public let isIntegrityFailure: Bool
    public var description: String { "\(path): \(message)" }
}

public struct RestoreSummary: Sendable {
    public var files = 0
    public var directories = 0
    public var others = 0
    public var bytes: UInt64 = 0
    /// Files left out because their content could not be read or written (each also a problem).
    public var filesNotRestored = 0
    public var problems: [RestoreProblem] = []
}

/// Restores a snapshot (or parts of it) into a directory with its metadata.
///
/// Directories and special files are created while walking; file contents are written by a
/// pool of workers, one pack at a time (`PackPlan`); hard links are made once their first name
/// exists; directory metadata is applied last, deepest first, so writing into a directory does
/// not change its restored mtime.
///
/// Nothing below the target is reached by a path that a symbolic link already in the target
/// could redirect: entries are made relative to their directory's descriptor, and a link
/// where the snapshot has a directory is replaced, not followed (`TargetDirectory`,
/// `TargetEntries`).
public final class Restorer: @unchecked Sendable {
    private let repository: Repository
    private let snapshot: Snapshot
    private let options: RestoreOptions
    private let includes: [ByteString]
    private let selection: RestoreSelection
    private let onProblem: @Sendable (RestoreProblem) -> Void
    private let lock = NSLock()
    private var summary = RestoreSummary()
    /// The target (first) and every directory the walk made in it; a file refers to its own.
    private var directories: [TargetDirectory] = []
    private let isRoot = geteuid() == 0
    public let progress = BackupProgress()

    public init(repository: Repository, snapshot: Snapshot, options: RestoreOptions,
                onProblem: @escaping @Sendable (RestoreProblem) -> Void = { _ in }) {
        self.repository = repository
        self.snapshot = snapshot
        self.options = options
        self.includes = options.includes.map { Paths.absolute($0) }
        self.selection = RestoreSelection(options)
        self.onProblem = onProblem
    }

    public func run() throws -> RestoreSummary {
        let target = Paths.absolute(options.target)
        try Self.checkIncludes(includes, repository: repository, snapshot: snapshot, options: options)
        if case .failure = MetadataReader.lstatus(target) {
            guard Paths.withCPath(target, { mkdir($0, 0o700) }) == 0 else {
                throw RepositoryError(.invalidArgument, "cannot create target \(options.target): \(Paths.errorText(errno))")
            }
        }
        // The user names the target, a link to a directory included: it is followed once, here.
        let root = Paths.withCPath(target) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard root >= 0 else {
            throw RepositoryError(.invalidArgument, "cannot open target \(options.target): \(Paths.errorText(errno))")
        }
        defer { close(root) }
        guard let top = TargetDirectory(path: target, descriptor: root, node: nil) else {
            throw RepositoryError(.invalidArgument, "cannot stat target \(options.target): \(Paths.errorText(errno))")
        }
        directories = [top]
        var files: [FileJob] = []
        try walk(snapshot.tree, directory: 0, descriptor: root, files: &files)
        let descriptors = DirectoryDescriptors(directories)

        // First names of hard-linked files are written before the other names are linked.
        var seenInodes = Set<[UInt64]>()
        var primary: [FileJob] = []
        var links: [FileJob] = []
        for job in files {
            if job.node.links > 1 {
                if seenInodes.insert([job.node.device, job.node.inode]).inserted { primary.append(job) } else { links.append(job) }
            } else {
                primary.append(job)
            }
        }
        progress.scanned(files: files.count, bytes: primary.reduce(0) { $0 + ($1.node.size ?? 0) })
        progress.scanFinished()
        restoreContents(primary, descriptors)
        var firstName: [[UInt64]: FileJob] = [:]
        for job in primary where job.node.links > 1 { firstName[[job.node.device, job.node.inode]] = job }
        for job in links {
            guard let original = firstName[[job.node.device, job.node.inode]] else { continue }
            do throws(TargetError) {
                let from = try descriptors.descriptor(original.directory)
                let to = try descriptors.descriptor(job.directory)
                try TargetEntries.link(original.node.name, in: from, as: job.node.name, in: to)
                lock.withLock { summary.files += 1 }
            } catch {
                // The first name failed (e.g. damaged data) or the filesystem refuses links: restore a copy.
                restoreContents([job], descriptors)
            }
        }
        applyDirectoryMetadata()
        return lock.withLock { summary }
    }

    /// Deepest first. Each directory is opened again and must be the one the walk made.
    private func applyDirectoryMetadata() {
        for directory in directories.reversed() {
            guard let node = directory.node else { continue }
            do throws(TargetError) {
                let fd = try directory.open()
                applyMetadata(node, to: .descriptor(fd), path: directory.path)
                close(fd)
            } catch {
                problem(directory.path, error.description)
            }
        }
    }

    /// Refuses `--include` paths that name nothing in the snapshot (a typo restores nothing).
    static func checkIncludes(_ includes: [ByteString], repository: Repository, snapshot: Snapshot, options: RestoreOptions) throws {
        let walker = TreeWalker(repository: repository)
        for include in includes where try walker.node(at: include, root: snapshot.tree) == nil {
            throw RepositoryError(.notFound, "no path of the snapshot matches \(options.includes.joined(separator: ", "))")
        }
    }

    /// One directory of the walk: its listing, how far it has got, and where it goes.
    private struct WalkFrame {
        let nodes: [Node]
        var next = 0
        let snapshotPath: ByteString
        let directory: Int
        /// Open while the frame is (closed when it is done, except the target's).
        let descriptor: Int32
        let selected: Bool
    }

    /// Walks the tree `tree` into the target's directory `directory`, open as `descriptor`,
    /// depth first, making directories and special files and collecting the files. Iterative:
    /// a hostile or damaged tree may nest 20,000 levels deep. Each level keeps its directory
    /// open, so a tree deeper than the descriptor limit ends in a problem there, not a crash.
    private func walk(_ tree: ChunkID, directory: Int, descriptor: Int32, files: inout [FileJob]) throws {
        var stack = [WalkFrame(nodes: try repository.loadTree(tree).nodes, snapshotPath: [], directory: directory,
                               descriptor: descriptor, selected: false)]
        defer { for frame in stack.dropFirst() { close(frame.descriptor) } }
        while !stack.isEmpty {
            let top = stack.count - 1
            guard stack[top].next < stack[top].nodes.count else {
                let done = stack.removeLast()
                if !stack.isEmpty { close(done.descriptor) }
                continue
            }
            let node = stack[top].nodes[stack[top].next]
            stack[top].next += 1
            let frame = stack[top]
            let path = frame.snapshotPath + [47] + node.name
            let mode = selection.choice(path, name: node.name, parentAll: frame.selected)
            if mode == .none { continue }
            let destination = Paths.join(directories[frame.directory].path, node.name)
            switch node.type {
            case .dir:
                let fd: Int32
                do throws(TargetError) {
                    fd = try TargetEntries.makeDirectory(node.name, in: frame.descriptor)
                } catch {
                    problem(destination, error.description)
                    continue
                }
                guard let made = TargetDirectory(path: destination, descriptor: fd, node: node) else {
                    problem(destination, "cannot stat directory: \(Paths.errorText(errno))")
                    close(fd)
                    continue
                }
                directories.append(made)
                lock.withLock { summary.directories += 1 }
                guard let subtree = node.subtree else {
                    close(fd)
                    continue
                }
                let nodes: [Node]
                do {
                    nodes = try repository.loadTree(subtree).nodes
                } catch {
                    close(fd)
                    throw error
                }
                stack.append(WalkFrame(nodes: nodes, snapshotPath: path, directory: directories.count - 1, descriptor: fd,
                                       selected: mode == .all))
            case .file:
                if mode == .all { files.append(FileJob(target: destination, directory: frame.directory, node: node)) }
            case .symlink, .fifo, .chardev, .blockdev:
                if mode == .all { restoreSpecial(node, in: frame.descriptor, path: destination) }
            case .socket:
                break  // a socket is recreated by the program that listens on it
            }
        }
    }

    /// Writes the files' contents pack by pack (`PackPlan`), then their sizes and metadata.
    private func restoreContents(_ files: [FileJob], _ descriptors: DirectoryDescriptors) {
        let span = options.readSpan ?? repository.store.preferredReadSpan
        let plan = PackPlan(files: files, span: span) { try repository.catalog.location(of: $0) }
        // The plan holds every location the restore needs: the pages that found them go back
        // to the heap, where the data read next can use them.
        repository.catalog.releaseCachedPages()
        for job in plan.unindexed {
            lock.withLock { summary.filesNotRestored += 1 }
            report(RestoreProblem(path: job.target.displayString, message: "a chunk of this file is missing from the index",
                                  isIntegrityFailure: true))
        }
        for file in plan.empty {
            let fd = file.open(in: descriptors)
            finishFile(file.job, size: 0, failure: file.complete(0).failure, descriptor: fd, descriptors)
            if fd >= 0 { close(fd) }
        }
        runParallel(plan.packs) { self.restorePack($0, $1) }
    }

    /// Reads the chunks of one pack and writes each wherever the restore needs it. Plaintext
    /// needed in more than one place is kept until its last place is written.
    private func restorePack(_ work: PackPlan.PackWork, _ descriptors: DirectoryDescriptors) {
        let blobs = repository.loadBlobs(work.chunks.map { $0.entry.id })
        var order: [ObjectIdentifier] = []
        var writes: [ObjectIdentifier: (file: FileInProgress, items: [(chunk: Int, offset: UInt64)])] = [:]
        for (index, chunk) in work.chunks.enumerated() {
            for placement in chunk.placements {
                let key = ObjectIdentifier(placement.file)
                if writes[key] == nil {
                    order.append(key)
                    writes[key] = (placement.file, [])
                }
                writes[key]!.items.append((index, placement.offset))
            }
        }
        var remaining = work.chunks.map { $0.placements.count }
        var kept: [Int: Data] = [:]
        for key in order {
            let (file, items) = writes[key]!
            let fd = file.open(in: descriptors)
            progress.fileStarted(file.job.target.displayString)
            var problem: RestoreProblem?
            if fd >= 0 {
                for item in items {
                    let entry = work.chunks[item.chunk].entry
                    do {
                        let data: Data
                        if let plaintext = kept[item.chunk] {
                            data = plaintext
                        } else if let plaintext = try blobs.plaintext(entry.id) {
                            data = plaintext
                        } else {
                            throw RepositoryError(.integrity, "chunk \(entry.id.shortHex) was not read from pack \(work.pack.shortHex)")
                        }
                        remaining[item.chunk] -= 1
                        kept[item.chunk] = remaining[item.chunk] > 0 ? data : nil
                        guard Self.writeSparse(fd, data, at: item.offset) else {
                            problem = RestoreProblem(path: file.job.target.displayString, message: "write failed: \(Paths.errorText(errno))",
                                                     isIntegrityFailure: false)
                            break
                        }
                        progress.bytes(data.count)
                    } catch {
                        problem = RestoreProblem(path: file.job.target.displayString, message: "\(error)",
                                                 isIntegrityFailure: (error as? RepositoryError)?.code == .integrity)
                        break
                    }
                }
            }
            let (last, failure) = file.complete(items.count, problem: problem)
            if last { finishFile(file.job, size: file.size, failure: failure, descriptor: fd, descriptors) }
            if fd >= 0 { close(fd) }
        }
    }

    /// Sets the final size and metadata, or removes the file when any part failed: a file
    /// with unverified or missing content is never left under its real name.
    /// `descriptor` is open on the file whenever `failure` is nil.
    private func finishFile(_ job: FileJob, size: UInt64, failure: RestoreProblem?, descriptor: Int32,
                            _ descriptors: DirectoryDescriptors) {
        var failure = failure
        if failure == nil, ftruncate(descriptor, off_t(size)) != 0 {
            failure = RestoreProblem(path: job.target.displayString, message: "truncate failed: \(Paths.errorText(errno))", isIntegrityFailure: false)
        }
        if let failure {
            if let parent = try? descriptors.descriptor(job.directory) {
                TargetEntries.removeUnlessDirectory(job.node.name, in: parent)
            }
            lock.withLock { summary.filesNotRestored += 1 }
            report(failure)
            return
        }
        applyMetadata(job.node, to: .descriptor(descriptor), path: job.target)
        progress.fileDone()
        lock.withLock {
            summary.files += 1
            summary.bytes += size
        }
    }

    /// Each worker has its own directory descriptors: none is closed while another uses it.
    private func runParallel<Job: Sendable>(_ jobs: [Job], _ body: @escaping @Sendable (Job, DirectoryDescriptors) -> Void) {
        guard !jobs.isEmpty else { return }
        let next = NSLock()
        nonisolated(unsafe) var index = 0
        let work = jobs
        let directories = self.directories
        DispatchQueue.concurrentPerform(iterations: min(options.workers, jobs.count)) { _ in
            let descriptors = DirectoryDescriptors(directories)
            while true {
                let i: Int = next.withLock {
                    defer { index += 1 }
                    return index
                }
                if i >= work.count { return }
                body(work[i], descriptors)
            }
        }
    }

    private func restoreSpecial(_ node: Node, in parent: Int32, path: ByteString) {
        do throws(TargetError) {
            try TargetEntries.makeSpecial(node, in: parent)
        } catch {
            problem(path, error.description)
            return
        }
        applyMetadata(node, to: .name(node.name, in: parent), path: path)
        lock.withLock { summary.others += 1 }
    }

    /// Owner, then mode (chown clears setuid bits), extended attributes, then times.
    private func applyMetadata(_ node: Node, to entry: MetadataTarget, path: ByteString) {
        if entry.chown(node.uid, node.gid) != 0 && isRoot {
            problem(path, "cannot set owner: \(Paths.errorText(errno))")
        }
        if node.type != .symlink && entry.chmod(node.mode) != 0 {
            problem(path, "cannot set mode: \(Paths.errorText(errno))")
        }
        for attribute in node.xattrs ?? [] where entry.setExtendedAttribute(attribute.name, attribute.value) != 0 {
            if isRoot || attribute.name.hasPrefix("user.") {
                problem(path, "cannot set extended attribute \(attribute.name): \(Paths.errorText(errno))")
            }
        }
        if entry.setTimes([Self.timespec(node.atime), Self.timespec(node.mtime)]) != 0 {
            problem(path, "cannot set times: \(Paths.errorText(errno))")
        }
    }

    static func timespec(_ nanoseconds: Int64) -> timespec {
        var seconds = nanoseconds / 1_000_000_000
        var rest = nanoseconds % 1_000_000_000
        if rest < 0 { seconds -= 1; rest += 1_000_000_000 }
        return Glibc.timespec(tv_sec: Int(seconds), tv_nsec: Int(rest))
    }

    /// Writes `data` at `offset`, skipping 4 KiB blocks of zeros so that they become holes:
    /// sparse files are restored sparse (the final `ftruncate` sets the size).
    static func writeSparse(_ fd: Int32, _ data: Data, at offset: UInt64) -> Bool {
        let block = 4096
        return data.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            var runStart = -1
            var position = 0
            func flush(_ end: Int) -> Bool {
                guard runStart >= 0 else { return true }
                var done = runStart
                while done < end {
                    let n = pwrite(fd, base + done, end - done, off_t(offset) + off_t(done))
                    if n < 0 { if errno == EINTR { continue }; return false }
                    done += n
                }
                runStart = -1
                return true
            }
            while position < raw.count {
                let length = min(block, raw.count - position)
                if isZero(UnsafeRawBufferPointer(start: base + position, count: length)) {
                    if !flush(position) { return false }
                } else if runStart < 0 {
                    runStart = position
                }
                position += length
            }
            return flush(raw.count)
        }
    }

    static func isZero(_ raw: UnsafeRawBufferPointer) -> Bool {
        let words = raw.count / 8
        let p = raw.baseAddress!
        for i in 0..<words where p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) != 0 { return false }
        for i in (words * 8)..<raw.count where raw[i] != 0 { return false }
        return true
    }

    private func problem(_ path: ByteString, _ message: String) {
        report(RestoreProblem(path: path.displayString, message: message, isIntegrityFailure: false))
    }

    private func report(_ problem: RestoreProblem) {
        lock.withLock { summary.problems.append(problem) }
        progress.errorReported()
        onProblem(problem)
    }
}
