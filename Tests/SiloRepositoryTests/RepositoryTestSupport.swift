import Foundation
@testable import SiloRepository
import SiloStorage

/// A repository for a test in `root`, quick to create (scrypt at its cheapest), with its
/// catalog under `root/cache`.
func makeTestRepository(root: String, password: Data, store: ObjectStore? = nil, packTargetSize: Int) throws -> Repository {
    var options = Repository.InitOptions()
    options.scryptN = 1 << 10
    options.packTargetSize = packTargetSize
    return try Repository.initialize(store: store ?? LocalObjectStore(root: root + "/repo"), password: password,
                                     options: options, cacheRoot: root + "/cache")
}
