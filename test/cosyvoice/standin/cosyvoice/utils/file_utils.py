"""Stand-in for cosyvoice/utils/file_utils.py: like upstream, importing it configures the root
logger at DEBUG (the noise the worker must keep out of its stderr)."""
import logging

logging.getLogger('matplotlib').setLevel(logging.WARNING)
logging.basicConfig(level=logging.DEBUG, format='%(asctime)s %(levelname)s %(message)s')
