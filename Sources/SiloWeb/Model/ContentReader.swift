import Foundation
import SiloFormat
import SiloRepository

/// A file's content, chunk by chunk, from any byte offset: the chunks' lengths come from the
/// index, so a range starts at the chunk that holds its first byte and no earlier chunk is read.
/// Each chunk is authenticated when it is loaded; nothing unverified reaches a client.
struct ContentReader: Sendable {
    struct Piece: Sendable {
        let chunk: ChunkID
        /// Where the chunk starts in the file.
        let offset: UInt64
        let length: UInt64
    }

    let repository: Repository
    let pieces: [Piece]
    var size: UInt64 { pieces.last.map { $0.offset + $0.length } ?? 0 }

    init(repository: Repository, node: Node) throws {
        self.repository = repository
        var offset: UInt64 = 0
        var pieces: [Piece] = []
        for chunk in node.content ?? [] {
            guard let location = try repository.catalog.location(of: chunk) else {
                throw RepositoryError(.notFound, "chunk \(chunk.shortHex) of this file is not in the index; run `silo check`")
            }
            let length = UInt64(location.entry.rawLength)
            pieces.append(Piece(chunk: chunk, offset: offset, length: length))
            offset += length
        }
        self.pieces = pieces
    }

    /// The pieces that hold bytes `range` (inclusive bounds), in order.
    func pieces(covering range: ClosedRange<UInt64>) -> [Piece] {
        pieces.filter { $0.offset + $0.length > range.lowerBound && $0.offset <= range.upperBound }
    }

    /// Bytes `range` of piece `piece` (the part of it inside the range).
    func bytes(of piece: Piece, within range: ClosedRange<UInt64>) throws -> Data {
        let data = try repository.loadBlob(piece.chunk)
        let start = Int(max(range.lowerBound, piece.offset) - piece.offset)
        let end = Int(min(range.upperBound, piece.offset + piece.length - 1) - piece.offset)
        return start == 0 && end == data.count - 1 ? data : data.subdata(in: start..<(end + 1))
    }

    /// The first `limit` bytes (a preview).
    func prefix(_ limit: Int) throws -> Data {
        guard size > 0 else { return Data() }
        let range = 0...min(size - 1, UInt64(max(limit, 1)) - 1)
        var data = Data()
        for piece in pieces(covering: range) { data.append(try bytes(of: piece, within: range)) }
        return data
    }
}
