import Foundation
import SiloFormat

/// Content that is not a file on disk but the output of a program (a database dump) or bytes in
/// memory (a manifest), stored as a regular file at `path` in the snapshot.
///
/// The archiver reads streams in the order given, before any file source, and calls `finish()`
/// when a stream ends: if it throws, the backup fails and no snapshot is saved. That is how a
/// producer that exited non-zero or was killed half-way never yields a snapshot.
public protocol StreamSource: AnyObject, Sendable {
    /// Absolute path inside the snapshot, e.g. `/postgres/app.pgdump`.
    var path: String { get }
    /// How this content is chunked and stored (`.database` for dumps).
    var chunkerProfile: ContentProfile { get }
    /// Starts producing; called once, right before the stream is read.
    func start() throws -> StreamContent
    /// Called after the content was read to its end; throws if the producer failed.
    func finish() throws
}

public enum StreamContent: Sendable {
    /// A descriptor to read until end of file; the archiver closes it.
    case descriptor(Int32)
    case data(Data)
}

/// A stream of bytes already in memory.
public final class DataStreamSource: StreamSource, @unchecked Sendable {
    public let path: String
    public let chunkerProfile: ContentProfile
    private let produce: () throws -> Data

    /// `produce` runs when the stream's turn comes, so it may depend on streams before it.
    public init(path: String, chunkerProfile: ContentProfile = .files, produce: @escaping () throws -> Data) {
        self.path = path
        self.chunkerProfile = chunkerProfile
        self.produce = produce
    }

    public func start() throws -> StreamContent { .data(try produce()) }
    public func finish() throws {}
}
