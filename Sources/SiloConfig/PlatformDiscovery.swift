import Foundation

/// What a platform shaped like the seed's has under its directory: `.env` files, uploaded
/// media, the built application, logs. `config init --platform DIR` writes sources for what it finds.
public struct DiscoveredPlatform: Sendable, Equatable {
    public var root: String
    public var environmentFiles: [String] = []
    public var uploads: [String] = []
    public var builtApplications: [String] = []
    public var logs: [String] = []

    /// Looks a few levels down (dependencies and VCS folders skipped), paths sorted.
    public static func discover(_ root: String) -> DiscoveredPlatform {
        var found = DiscoveredPlatform(root: root)
        walk(root, depth: 0, into: &found)
        found.environmentFiles.sort()
        found.uploads.sort()
        found.builtApplications.sort()
        found.logs.sort()
        return found
    }

    private static let skipped: Set<String> = ["node_modules", ".git", ".cache", ".npm", "coverage", "tmp"]
    private static let maxDepth = 3

    private static func walk(_ directory: String, depth: Int, into found: inout DiscoveredPlatform) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names.sorted() where !skipped.contains(name) {
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                if name == ".env" || (name.hasPrefix(".env.") && !name.hasSuffix(".example") && !name.hasSuffix(".sample")) {
                    found.environmentFiles.append(path)
                }
                continue
            }
            switch name {
            case "uploads": found.uploads.append(path); continue
            case "dist", "build": found.builtApplications.append(path); continue
            case "logs", "log": found.logs.append(path); continue
            default: break
            }
            if depth + 1 < maxDepth { walk(path, depth: depth + 1, into: &found) }
        }
    }
}
