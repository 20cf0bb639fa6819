"""The options the commands share: device and thread policy, default folders, option specs."""

import argparse

import pytest
import torch

from divergence_verify.verify import cli, options


def test_resolve_device_follows_the_estimators_rule():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert options.resolve_device("auto") == expected
    assert options.resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        options.resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        options.resolve_device("cuda")


def test_torch_threads_pins_the_cpu_to_one_thread_and_restores_it():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with options.torch_threads("cpu"):
            assert torch.get_num_threads() == 1
            assert options.device_name("cpu").endswith("1 torch thread")
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError), options.torch_threads("cpu"):
            raise RuntimeError  # restored on the way out of an error too
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(("text", "expected"), [
    ("knn-kl", "knn-kl"), ("mypkg.mod:my_kl-kl", "mypkg.mod_my_kl-kl"), ("../up", "_._up"),
    (".hidden", "_hidden"), ("a/b\\c d", "a_b_c_d"), ("", "_"), ("é", "_"),
])
def test_safe_name_is_one_plain_path_component(text, expected):
    assert options.safe_name(text) == expected


def test_default_out_is_under_the_default_folder():
    path = options.default_out("certify", "mypkg.mod:x", "kl")
    assert path.split("/") == [options.DEFAULT_OUT, "certify", "mypkg.mod_x-kl"]


def test_every_running_command_declares_the_shared_options_once():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in ("certify", "sweep", "report"):
        declared = {a.dest: a for a in sub.choices[command]._actions}
        for option in options.RUN_OPTIONS:
            action = declared[option.dest]
            assert action.default == option.default and action.option_strings == [option.flag]
            assert option.help in action.help
    args = parser.parse_args(["report", "--no-cache", "--sizes", "10", "20"])
    assert options.cache_folder(args.cache, args.no_cache) is None and args.sizes == [10, 20]
    args = parser.parse_args(["sweep", "--estimator", "knn", "--divergence", "kl"])
    assert options.cache_folder(args.cache, args.no_cache) == options.DEFAULT_CACHE
    assert (args.sizes, args.seeds, args.device) == (None, None, "auto")
