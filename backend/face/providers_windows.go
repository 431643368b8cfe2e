//go:build windows

package face

// libraryProviders on Windows reports the providers a Windows build of
// ONNX Runtime may carry; session creation finds out which really load
// (an unavailable one fails to append and is skipped).
func libraryProviders(string) ([]string, error) {
	return []string{ProviderDirectML, ProviderCUDA, ProviderCPU}, nil
}
