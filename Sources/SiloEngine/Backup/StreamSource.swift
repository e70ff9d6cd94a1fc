import Foundation
import SiloRepository

/// Content that is not a file on disk but the output of a program (a database dump) or bytes in
/// memory (a manifest), stored as a regular file at `path` in the snapshot.
///
/// The archiver reads streams in the order given, before any file source, and calls `finish()`
/// when a stream ends: if it throws, the backup fails and no snapshot is saved. That is how a
/// producer that exited non-zero or was killed half-way never yields a snapshot.
public protocol StreamSource: AnyObject, Sendable {
    /// Absolute path inside the snapshot, e.g. `/postgres/app.pgdump`.
    var path: String { get }
    /// What the content is: how it is cut, and whether it is stored as deltas (dumps).
    var profile: ContentProfile { get }
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
    public let profile: ContentProfile
    private let produce: () throws -> Data

    /// `produce` runs when the stream's turn comes, so it may depend on streams before it.
    public init(path: String, profile: ContentProfile = .files, produce: @escaping () throws -> Data) {
        self.path = path
        self.profile = profile
        self.produce = produce
    }

    public func start() throws -> StreamContent { .data(try produce()) }
    public func finish() throws {}
}

/// What a descriptor the caller already has yields until its end: standard input for
/// `backup --stdin`. The archiver closes what `start` returns, a duplicate, so the caller's
/// descriptor stays its own.
public final class DescriptorStreamSource: StreamSource, @unchecked Sendable {
    public let path: String
    public let profile: ContentProfile
    private let descriptor: Int32

    /// The profile follows the name when not given: `--stdin-filename db.sql` is a dump.
    public init(path: String, descriptor: Int32, profile: ContentProfile? = nil) {
        self.path = path
        self.descriptor = descriptor
        self.profile = profile ?? ContentProfile.of(name: path)
    }

    public func start() throws -> StreamContent {
        let copy = dup(descriptor)
        guard copy >= 0 else { throw RepositoryError(.invalidArgument, "\(path): cannot read the input: \(String(cString: strerror(errno)))") }
        return .descriptor(copy)
    }

    public func finish() throws {}
}
