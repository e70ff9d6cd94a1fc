import COpenSSL
import CZstd
import Foundation
import SiloFormat

// Micro-benchmarks of the pipeline's stages, one core each, in MB/s. `Benchmarks/micro.sh`
// prints them beside the C tools' own figures (openssl speed, zstd -b) on the same machine.

let size = (Int(ProcessInfo.processInfo.environment["SILO_BENCH_MB"] ?? "") ?? 256) << 20

func randomBuffer(_ count: Int) -> Data {
    var data = Data(count: count)
    data.withUnsafeMutableBytes { _ = RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) }
    return data
}

func textBuffer(_ count: Int) -> Data {
    var s = ""
    var i = 0
    while s.utf8.count < count {
        s += "\(i)\tuser\(i % 9973)@example.com\t{\"cart\": [\(i % 17), \(i % 101)], \"total\": \(Double(i % 10000) / 100)}\t2025-01-29 12:00:\(i % 60)\n"
        i += 1
    }
    return Data(s.utf8.prefix(count))
}

func measure(_ name: String, bytes: Int, repeat times: Int = 3, _ body: () -> Void) {
    var best = Double.infinity
    for _ in 0..<times {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let mbps = Double(bytes) / best / 1e6
    print(name.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: " %10.0f MB/s", mbps))
}

let random = randomBuffer(size)
let text = textBuffer(size)
let seed = randomBuffer(32)
let key = randomBuffer(32)

for (profileName, profile) in [("files", ChunkerProfile.files), ("database", ChunkerProfile.database)] {
    let chunker = FastCDC(profile: profile, seed: seed)
    for (dataName, data) in [("random", random), ("text", text)] {
        var chunks = 0
        measure("FastCDC \(profileName) profile, \(dataName)", bytes: data.count) {
            chunks = 0
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    offset += chunker.cutPoint(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                    chunks += 1
                }
            }
        }
        print(String(format: "    mean chunk %.0f KiB", Double(data.count) / Double(chunks) / 1024))
    }
}

measure("SHA-256 (EVP), 1 MiB blocks", bytes: random.count) {
    random.withUnsafeBytes { raw in
        for offset in stride(from: 0, to: raw.count, by: 1 << 20) {
            _ = Crypto.sha256(UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + (1 << 20), raw.count)]))
        }
    }
}
measure("HMAC-SHA-256 chunk ID, 1 MiB blocks", bytes: random.count) {
    random.withUnsafeBytes { raw in
        for offset in stride(from: 0, to: raw.count, by: 1 << 20) {
            _ = Crypto.hmacSHA256(key: key, UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + (1 << 20), raw.count)]))
        }
    }
}
let gcm = AESGCM(key: key)
measure("AES-256-GCM seal (EVP), 1 MiB blocks", bytes: random.count) {
    random.withUnsafeBytes { raw in
        for offset in stride(from: 0, to: raw.count, by: 1 << 20) {
            _ = gcm.seal(UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + (1 << 20), raw.count)]), associatedData: Data())
        }
    }
}
let zstd = Zstd(level: 3)
let textSlice = text.prefix(64 << 20)
measure("zstd -3 compress, text, 1 MiB blocks", bytes: textSlice.count) {
    textSlice.withUnsafeBytes { raw in
        for offset in stride(from: 0, to: raw.count, by: 1 << 20) {
            _ = zstd.compress(UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + (1 << 20), raw.count)]))
        }
    }
}
let randomSlice = random.prefix(64 << 20)
measure("zstd -3 on random (stored raw), 1 MiB", bytes: randomSlice.count) {
    randomSlice.withUnsafeBytes { raw in
        for offset in stride(from: 0, to: raw.count, by: 1 << 20) {
            _ = zstd.compress(UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + (1 << 20), raw.count)]))
        }
    }
}
let codec = BlobCodec(keys: MasterKeys.random(), compressionLevel: 3)
measure("whole chunk encode (ID+zstd+GCM), text", bytes: textSlice.count) {
    textSlice.withUnsafeBytes { raw in
        for offset in stride(from: 0, to: raw.count, by: 1 << 20) {
            let slice = UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + (1 << 20), raw.count)])
            _ = codec.encode(slice, id: codec.identifier.id(of: slice), type: .data)
        }
    }
}
