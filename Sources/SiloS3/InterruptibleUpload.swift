import Foundation

/// Decides, for one multipart upload, between its completion and its abort on SIGINT/SIGTERM:
/// never both. An abort racing the completion request could delete the segments of an object
/// the server has just reported whole (Swift's s3api then answers 409 BrokenMPU for it, and an
/// index file written meanwhile may already name it). So once completion is begun the upload is
/// left to finish (a whole, unreferenced pack that prune collects), and once aborted it is
/// never completed.
final class InterruptibleUpload: @unchecked Sendable {
    private enum State { case uploading, completing, aborted }
    private let lock = NSLock()
    private var state = State.uploading

    /// True when the caller may abort: no completion was begun (and none will be).
    func claimAbort() -> Bool {
        lock.withLock {
            guard state == .uploading else { return false }
            state = .aborted
            return true
        }
    }

    /// True when the caller may send the completion: no abort was begun (and none will be).
    func claimCompletion() -> Bool {
        lock.withLock {
            guard state == .uploading else { return false }
            state = .completing
            return true
        }
    }
}
