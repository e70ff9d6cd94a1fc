import Foundation

/// An object written in pieces and named only once complete: a pack's name is the hash of its
/// bytes, known at the end. A store that can take one (the local directory) spares the writer
/// from holding whole packs in memory; the others take whole objects through `put`.
///
/// Nothing is visible under any key before `finish`, and an upload dropped without `finish`
/// leaves nothing a listing shows.
public protocol ObjectUpload: AnyObject {
    /// Appends bytes. Whole pages that start on a page boundary may be written past the page
    /// cache (`LocalObjectStore.put` explains why).
    func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes the object durable and visible under `key` atomically, as `put` does.
    func finish(as key: String) throws
    /// Drops what was written.
    func abandon()
}
