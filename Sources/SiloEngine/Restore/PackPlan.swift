import Foundation
import SiloFormat
import SiloRepository

/// A file to restore: where it goes and what the snapshot says of it.
struct FileJob: Sendable {
    /// The whole path, for messages.
    let target: ByteString
    /// Its directory in the restore's table of directories (`TargetDirectory`); the file's
    /// name there is the node's.
    let directory: Int
    let node: Node
}

/// A file being written by the pack workers: created by the first worker that has a chunk of
/// it, finished (size, metadata) by the one that writes its last chunk.
final class FileInProgress: @unchecked Sendable {
    let job: FileJob
    let size: UInt64
    private let lock = NSLock()
    private var created = false
    private var pending: Int
    private var failure: RestoreProblem?

    init(job: FileJob, size: UInt64, chunks: Int) {
        self.job = job
        self.size = size
        pending = chunks
    }

    /// A descriptor open for writing, the file created by the first caller in its directory
    /// as the walk made it; -1 once the file has failed (the failure is recorded).
    func open(in directories: DirectoryDescriptors) -> Int32 {
        lock.withLock {
            if failure != nil { return -1 }
            defer { created = true }
            do throws(TargetError) {
                let parent = try directories.descriptor(job.directory)
                return created ? try TargetEntries.openFile(job.node.name, in: parent) : try TargetEntries.createFile(job.node.name, in: parent)
            } catch {
                failure = RestoreProblem(path: job.target.displayString, message: error.description, isIntegrityFailure: false)
                return -1
            }
        }
    }

    /// Records that `count` chunk positions were dealt with (written, or not because of
    /// `problem`); says whether they were the last, and the file's first failure if any.
    func complete(_ count: Int, problem: RestoreProblem? = nil) -> (last: Bool, failure: RestoreProblem?) {
        lock.withLock {
            if failure == nil { failure = problem }
            pending -= count
            return (pending == 0, failure)
        }
    }
}

/// The content of a restore organised by pack, as restic's restorer does: every chunk is read
/// once, with one ranged read per pack where its chunks lie close together, and written to
/// every place of every file that holds it. With a span as large as a pack, a full restore
/// from a remote store makes about one request per pack, whatever the number and sizes of the
/// files; on a local disk smaller spans hold less memory and keep both cores busy.
struct PackPlan {
    struct Placement {
        let file: FileInProgress
        let offset: UInt64
    }

    /// Chunks to read from one pack with one read, in pack order, and where each one goes.
    struct PackWork: @unchecked Sendable {
        let pack: PackID
        var chunks: [(entry: PackEntry, placements: [Placement])]
    }

    private(set) var packs: [PackWork] = []
    /// Files with no content: created and finished without reading anything.
    private(set) var empty: [FileInProgress] = []
    /// Files that cannot be restored because a chunk is missing from the index.
    private(set) var unindexed: [FileJob] = []

    init(files: [FileJob], span: Int, locate: (ChunkID) throws -> ChunkLocation?) {
        var packIndex: [PackID: Int] = [:]
        var chunkIndex: [ChunkID: (pack: Int, chunk: Int)] = [:]
        for job in files {
            let content = job.node.content ?? []
            var locations: [(pack: PackID, entry: PackEntry, offset: UInt64)] = []
            locations.reserveCapacity(content.count)
            var offset: UInt64 = 0
            for id in content {
                guard let location = try? locate(id) else { break }
                locations.append((location.pack, location.entry, offset))
                offset += UInt64(location.entry.rawLength)
            }
            guard locations.count == content.count else {
                unindexed.append(job)
                continue
            }
            let file = FileInProgress(job: job, size: offset, chunks: content.count)
            if content.isEmpty {
                empty.append(file)
                continue
            }
            for location in locations {
                let placement = Placement(file: file, offset: location.offset)
                if let (p, c) = chunkIndex[location.entry.id] {
                    packs[p].chunks[c].placements.append(placement)
                    continue
                }
                let p: Int
                if let known = packIndex[location.pack] {
                    p = known
                } else {
                    p = packs.count
                    packIndex[location.pack] = p
                    packs.append(PackWork(pack: location.pack, chunks: []))
                }
                chunkIndex[location.entry.id] = (p, packs[p].chunks.count)
                packs[p].chunks.append((location.entry, [placement]))
            }
        }
        // In pack order, cut into spans of at most `span` stored bytes: each span is one read,
        // and the memory a worker holds.
        packs = packs.flatMap { work -> [PackWork] in
            var spans: [PackWork] = []
            var start: UInt32 = 0
            for chunk in work.chunks.sorted(by: { $0.entry.offset < $1.entry.offset }) {
                let end = chunk.entry.offset + chunk.entry.length
                if let last = spans.last, !last.chunks.isEmpty, Int(end - start) <= span {
                    spans[spans.count - 1].chunks.append(chunk)
                } else {
                    spans.append(PackWork(pack: work.pack, chunks: [chunk]))
                    start = chunk.entry.offset
                }
            }
            return spans
        }
    }
}
