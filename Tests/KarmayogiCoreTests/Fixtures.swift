import Foundation
@testable import KarmayogiCore

/// The reference geography the server ships, read from the package's resources.
let geography: Geography = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/KarmayogiServer/Resources/india-districts.csv")
    return try! Geography(districtsCSV: String(contentsOf: url, encoding: .utf8))
}()
