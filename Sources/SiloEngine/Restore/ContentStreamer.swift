import Foundation
import SiloFormat
import SiloRepository

/// Writes a stored file's content, in order, to a descriptor (standard output, a pipe into
/// `pg_restore`). Each chunk is authenticated before any of its bytes are written, so a damaged
/// chunk stops the stream with an integrity error instead of passing on wrong bytes.
public enum ContentStreamer {
    public static func write(_ node: Node, from repository: Repository, to fd: Int32) throws {
        for id in node.content ?? [] {
            let data = try repository.loadBlob(id)
            let failure = data.withUnsafeBytes { raw -> Int32? in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    done += n
                }
                return nil
            }
            if let failure { throw RepositoryError(.storage, "cannot write the content out: \(Paths.errorText(failure))") }
        }
    }

    /// A small stored file's whole content in memory (a saved configuration), each chunk
    /// authenticated as it is loaded.
    public static func data(_ node: Node, from repository: Repository) throws -> Data {
        var data = Data()
        for id in node.content ?? [] { data.append(try repository.loadBlob(id)) }
        return data
    }
}
