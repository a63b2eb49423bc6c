"""The files exchanged with the bank: the payment file we send, the result file the bank sends back.

Payment file (`write_payment_file`): a CSV (UTF-8 with BOM, so the bank's Windows tools and Excel read the
Chinese) with the columns 序号, 付款编号, 户名, 账号, 开户行, 金额, 用途, 批次号 — the only place where full
account numbers leave the platform. It is packed in a ZIP encrypted with AES-256 (WinZip AE-2, read by
7-Zip, WinRAR and the banks' upload tools) under a random one-time password that is returned to the
caller and never stored. `stash`/`take` keep the encrypted ZIP outside the web root for a few minutes
so the browser can fetch it once (see `views_batches.batch_export`).

Result file (`read_result_file`): CSV (UTF-8, UTF-8 with BOM or GB18030, as Chinese banks write it) or
XLSX. The type is decided from the bytes, never from the name alone; the header row is found by its
column names (a title row above it is allowed); each row is parsed into a `ResultRow` (a field that
cannot be read is None) and a `Problem` with the row number for each thing wrong with it. Checking the
rows against the batch is the service's job (`services.batches.reconcile_batch`): this package knows
files, not payments.
"""

from bangfu.funds.bankfiles.payment import (
    PAYMENT_COLUMNS,
    PaymentFile,
    PaymentLine,
    category_name_zh,
    download_ttl_seconds,
    new_password,
    payment_csv,
    purge_expired,
    stash,
    take,
    write_payment_file,
)
from bangfu.funds.bankfiles.result import (
    COLUMNS,
    FAILURE,
    MAX_RESULT_BYTES,
    MAX_RESULT_ROWS,
    SUCCESS,
    Problem,
    ResultFileError,
    ResultRow,
    read_result_file,
)

__all__ = [
    "COLUMNS", "FAILURE", "MAX_RESULT_BYTES", "MAX_RESULT_ROWS", "PAYMENT_COLUMNS", "SUCCESS", "PaymentFile",
    "PaymentLine", "Problem", "ResultFileError", "ResultRow", "category_name_zh", "download_ttl_seconds",
    "new_password", "payment_csv", "purge_expired", "read_result_file", "stash", "take", "write_payment_file",
]
