import Foundation
import KarmayogiServer

do {
    try await Karmayogi.main()
} catch {
    // Already reported through the logger; a failed start is an exit status, not a crash.
    exit(1)
}
