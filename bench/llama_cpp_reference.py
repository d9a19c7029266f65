"""The reference side of `madang-bench ai`: llama.cpp through its Python
bindings (PyPI `llama-cpp-python`), timing one greedy completion of a
prompt that arrives on stdin already rendered with the model's chat
template (so both sides read the same tokens).

Usage: llama_cpp_reference.py GGUF THREADS MAX_TOKENS CONTEXT < prompt
Prints one JSON object: prompt tokens, seconds to the first streamed token,
tokens streamed, seconds from the first token to the last, and the
llama-cpp-python version.
"""

import json
import sys
import time

import llama_cpp


def main() -> None:
    gguf, threads, max_tokens, context = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    prompt = sys.stdin.read()
    llm = llama_cpp.Llama(
        model_path=gguf,
        n_threads=threads,
        n_threads_batch=threads,
        n_ctx=context,
        n_batch=512,
        verbose=False,
    )
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
    start = time.perf_counter()
    first = None
    streamed = 0
    for _ in llm.create_completion(tokens, max_tokens=max_tokens, temperature=0.0, stream=True):
        if first is None:
            first = time.perf_counter()
        streamed += 1
    end = time.perf_counter()
    first = first or end
    print(json.dumps({
        "prompt_tokens": len(tokens),
        "first_token_secs": first - start,
        "tokens": streamed,
        "decode_secs": end - first,
        "version": llama_cpp.__version__,
    }))


if __name__ == "__main__":
    main()
