import Foundation
import Testing

/// The real embedding sidecar (`Sidecar/embeddings.py`) for the tests that rank by meaning: started once per test
/// process on a free loopback port when Python has its model (CI installs it and sets KARMAYOGI_REQUIRE_EMBEDDINGS=1,
/// so there it must start), and ended with the process.
enum TestSidecar {
    static let required = ProcessInfo.processInfo.environment["KARMAYOGI_REQUIRE_EMBEDDINGS"] == "1"

    /// The sidecar's address, or nil when this machine cannot run it.
    static let url: String? = start()

    private static func start() -> String? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sidecar/embeddings.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--port", "0", "--exit-with-parent"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        // Its first line names the address: "embedding sidecar (…) on http://127.0.0.1:PORT".
        var line = Data()
        while let byte = try? output.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") {
            line.append(first)
        }
        guard let text = String(data: line, encoding: .utf8), let range = text.range(of: "http://") else { return nil }
        return String(text[range.lowerBound...])
    }
}
