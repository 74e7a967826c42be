"""Stock import (Art. 12, 14): rows of old spreadsheets issued as signed commands, resumably."""
