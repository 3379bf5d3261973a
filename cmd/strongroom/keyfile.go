package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// legacyKeyFile is where the master key file used to be made by default:
// in the working directory, which is usually the one holding the data, so
// that a backup of the one took the other along.
const legacyKeyFile = "strongroom-master.key"

// keyFileName is the master key file's name in the user's configuration
// directory, os.UserConfigDir()/strongroom/.
const keyFileName = "master.key"

// defaultKeyFile returns the master key file to use when neither
// --master-key-file nor --master-key is given: a key at the old default
// place, next to this installation's data, keeps working, with a warning
// that says how to move it; otherwise the one in the user's configuration
// directory, made there on the first start.
func defaultKeyFile() (path, warning string, err error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", "", fmt.Errorf("no master key: set --master-key-file or --master-key (there is no user configuration directory to keep it in: %w)", err)
	}
	path = filepath.Join(dir, "strongroom", keyFileName)
	if _, err := os.Stat(legacyKeyFile); err != nil {
		return path, "", nil
	}
	old, err := filepath.Abs(legacyKeyFile)
	if err != nil {
		return "", "", err
	}
	warning = fmt.Sprintf("The master key file %s is in the working directory, where a backup of the data takes it along. ", old)
	if _, err := os.Stat(path); err == nil {
		// Another key is already there (another installation's): keep
		// this one apart.
		return old, warning + fmt.Sprintf("Move it out of the data's directory and start with --master-key-file NEW-PATH (%s holds another key).", path), nil
	}
	return old, warning + fmt.Sprintf("Move it to where Strongroom now keeps it: mkdir -p -m 700 %s && mv %s %s", filepath.Dir(path), old, path), nil
}
