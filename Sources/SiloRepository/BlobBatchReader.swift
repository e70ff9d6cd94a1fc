import Foundation
import SiloFormat

/// Blobs fetched together by `Repository.loadBlobs`: kept as stored (compressed, encrypted)
/// slices of the spans read, and decoded, authenticated, only when asked for, so a batch holds
/// no more memory than the bytes it read.
public struct BlobBatch: @unchecked Sendable {
    fileprivate var stored: [ChunkID: (bytes: Data, entry: PackEntry, pack: PackID)] = [:]
    fileprivate var failures: [ChunkID: Error] = [:]
    fileprivate let codec: BlobCodec?
    /// The plaintext of a delta blob's base (read through the repository), nil for other blobs.
    fileprivate let basePlaintext: (PackEntry) throws -> Data?

    public static let empty = BlobBatch(codec: nil) { _ in nil }

    fileprivate init(codec: BlobCodec?, basePlaintext: @escaping (PackEntry) throws -> Data?) {
        self.codec = codec
        self.basePlaintext = basePlaintext
    }

    /// The blob's plaintext; nil when it is not in this batch; throws when it failed to read
    /// or does not authenticate.
    public func plaintext(_ id: ChunkID) throws -> Data? {
        if let failure = failures[id] { throw failure }
        guard let (bytes, entry, pack) = stored[id], let codec else { return nil }
        let base = try basePlaintext(entry)
        do {
            // A copy, not the slice: callers index the plaintext from zero.
            return try codec.decode(Data(bytes), id: entry.id, compression: entry.compression, rawLength: Int(entry.rawLength), base: base)
        } catch {
            throw RepositoryError(.integrity, "chunk \(entry.id.shortHex) in pack \(pack.shortHex) is damaged: \(error)")
        }
    }
}

extension Repository {
    /// Reads many blobs with as few requests as their placement allows: blobs of one pack that
    /// lie close together are fetched with one ranged read and then authenticated one by one.
    /// On a remote store a request costs far more than the bytes between two blobs, so a
    /// restore of thousands of small files makes tens of requests instead of thousands.
    ///
    /// Each blob's outcome is its own: a damaged or missing blob fails alone.
    public func loadBlobs(_ ids: [ChunkID], maxGap: Int = 1 << 20, maxSpan: Int = 32 << 20) -> BlobBatch {
        var batch = BlobBatch(codec: codec) { [self] in try basePlaintext(of: $0, depth: 0) }
        var byPack: [PackID: [PackEntry]] = [:]
        for id in Set(ids) {
            do {
                guard let location = try catalog.location(of: id) else {
                    throw RepositoryError(.integrity, "chunk \(id.shortHex) is missing from the index")
                }
                byPack[location.pack, default: []].append(location.entry)
            } catch {
                batch.failures[id] = error
            }
        }
        for (pack, entries) in byPack {
            for span in Self.spans(entries.sorted { $0.offset < $1.offset }, maxGap: maxGap, maxSpan: maxSpan) {
                let start = Int(span[0].offset)
                let end = span.map { Int($0.offset) + Int($0.length) }.max()!
                let stored: Data
                do {
                    stored = try store.get(ObjectKeys.pack(pack), offset: UInt64(start), length: end - start)
                    guard stored.count == end - start else {
                        throw RepositoryError(.integrity, "pack \(pack.shortHex) is shorter than its index says")
                    }
                } catch {
                    let wrapped = RepositoryError.wrap(error, context: "reading pack \(pack.shortHex)")
                    for entry in span { batch.failures[entry.id] = wrapped }
                    continue
                }
                for entry in span {
                    let from = stored.startIndex + Int(entry.offset) - start
                    batch.stored[entry.id] = (stored[from..<(from + Int(entry.length))], entry, pack)
                }
            }
        }
        return batch
    }

    /// Runs of entries (sorted by offset) close enough to read together.
    static func spans(_ entries: [PackEntry], maxGap: Int, maxSpan: Int) -> [[PackEntry]] {
        var spans: [[PackEntry]] = []
        var current: [PackEntry] = []
        var start = 0, end = 0
        for entry in entries {
            let from = Int(entry.offset), to = from + Int(entry.length)
            if !current.isEmpty && (from - end > maxGap || to - start > maxSpan) {
                spans.append(current)
                current = []
            }
            if current.isEmpty { start = from; end = to }
            current.append(entry)
            end = max(end, to)
        }
        if !current.isEmpty { spans.append(current) }
        return spans
    }
}
