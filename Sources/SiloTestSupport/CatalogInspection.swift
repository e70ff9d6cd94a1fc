import Foundation
import SiloRepository

/// Queries only tests make: what a catalog holds, as text to compare.
extension Catalog {
    /// How many resemblance features the catalog keeps.
    public func resemblanceCount() throws -> Int {
        try withSQL { db in try db.prepare("SELECT count(*) FROM resemblance").first { Int($0.int(0)) } ?? 0 }
    }

    /// Everything but the cache, as sorted text lines: two catalogs with equal dumps hold the
    /// same snapshots and index. Used to show that `catalog rebuild` is faithful.
    public func contentDump() throws -> [String] {
        var lines: [String] = []
        try withSQL { db in
            try db.prepare("SELECT hex(id) FROM index_files ORDER BY id").forEach { lines.append("index \($0.text(0))") }
            try db.prepare("SELECT hex(id), hex(index_file), size, chunk_bytes FROM packs ORDER BY id").forEach {
                lines.append("pack \($0.text(0)) \($0.text(1)) \($0.int(2)) \($0.int(3))")
            }
            try db.prepare("SELECT hex(id), hex(pack), type, compression, offset, length, raw_length, hex(base) FROM chunks ORDER BY id, pack").forEach {
                lines.append("chunk \($0.text(0)) \($0.text(1)) \($0.int(2)) \($0.int(3)) \($0.int(4)) \($0.int(5)) \($0.int(6)) \($0.text(7))")
            }
            try db.prepare("SELECT hex(pack), marker, marked FROM marked_packs ORDER BY pack, marker").forEach {
                lines.append("marked \($0.text(0)) \($0.text(1)) \($0.text(2))")
            }
            try db.prepare("SELECT hex(id), time, host, hex(body) FROM snapshots ORDER BY id").forEach {
                lines.append("snapshot \($0.text(0)) \($0.int(1)) \($0.text(2)) \($0.text(3))")
            }
        }
        return lines
    }
}
